"""The samples a rate of change keeps: bounded in time and in number, keeping what rises and falls are
measured from."""

from __future__ import annotations

from ioc.rules import rates


def test_samples_older_than_the_window_are_dropped() -> None:
    samples = None
    for epoch, value in ((0.0, 1.0), (100.0, 2.0), (250.0, 3.0)):
        samples = rates.add_sample(samples, epoch, value, window=200)
    assert samples == [[100.0, 2.0], [250.0, 3.0]]


def test_the_count_is_bounded_and_extremes_survive() -> None:
    samples = None
    values = [10.0 + (i % 7) for i in range(500)]
    values[250] = 90.0  # a spike
    values[300] = -5.0  # a dip
    for i, value in enumerate(values):
        samples = rates.add_sample(samples, float(i), value, window=10_000)
    assert samples is not None
    assert len(samples) == rates.MAX_SAMPLES
    kept = [sample[1] for sample in samples]
    assert max(kept) == 90.0
    assert min(kept) == -5.0
    assert samples[-1] == [499.0, values[499]]


def test_moves_are_rise_and_fall_from_the_latest() -> None:
    memory = {"s": {"pm25": [[0.0, 30.0], [100.0, 80.0], [200.0, 50.0]]}}
    moved = rates.moves(memory, (("pm25", 300), ("pm25", 50), ("no2", 60)), epoch=200.0)
    assert moved[("pm25", 300)] == (20.0, 30.0)
    assert moved[("pm25", 50)] == (0.0, 0.0)
    assert ("no2", 60) not in moved
