"""What a rate of change remembers: a bounded number of buckets with the lowest and highest value, whatever
the device's reporting rate; only the side a rule asks about moves; rises and falls measured only from
values inside the window."""

from __future__ import annotations

from ioc.rules import rates


def test_buckets_the_window_no_longer_reaches_are_dropped() -> None:
    buckets = None
    # Window 200 s: buckets of 10 s.
    for epoch, value in ((0.0, 1.0), (100.0, 2.0), (250.0, 3.0)):
        buckets = rates.add_sample(buckets, epoch, value, window=200)
    assert buckets == [[10, 2.0, 2.0], [25, 3.0, 3.0]]


def test_the_count_is_bounded_and_extremes_survive() -> None:
    buckets = None
    values = [10.0 + (i % 7) for i in range(5000)]
    values[4500] = 90.0  # a spike
    values[4700] = -5.0  # a dip
    for i, value in enumerate(values):
        buckets = rates.add_sample(buckets, i / 10, value, window=400)
    assert buckets is not None
    assert len(buckets) <= rates.BUCKETS + 1
    assert max(b[2] for b in buckets) == 90.0
    assert min(b[1] for b in buckets) == -5.0


def test_samples_of_one_bucket_merge() -> None:
    buckets = None
    for epoch, value in ((0.0, 5.0), (3.0, 9.0), (6.0, 1.0), (9.0, 4.0)):
        buckets = rates.add_sample(buckets, epoch, value, window=200)
    assert buckets == [[0, 1.0, 9.0]]


def test_only_the_side_asked_about_moves() -> None:
    rising = rates.add_sample(None, 0.0, 5.0, window=200, rises=True, falls=False)
    for epoch, value in ((3.0, 9.0), (6.0, 7.0)):
        rising = rates.add_sample(rising, epoch, value, window=200, rises=True, falls=False)
    # Higher values change nothing a rise is measured from: the state stays as it was.
    assert rising == [[0, 5.0, 5.0]]
    falling = rates.add_sample(None, 0.0, 5.0, window=200, rises=False, falls=True)
    falling = rates.add_sample(falling, 3.0, 2.0, window=200, rises=False, falls=True)
    falling = rates.add_sample(falling, 6.0, 9.0, window=200, rises=False, falls=True)
    assert falling == [[0, 5.0, 9.0]]


def test_a_list_of_another_shape_starts_afresh() -> None:
    assert rates.add_sample([[0.0, 30.0], [100.0, 80.0]], 120.0, 5.0, window=200) == [[12, 5.0, 5.0]]


def test_moves_are_rise_and_fall_from_the_latest() -> None:
    memory = {"s": {"pm25": [[0, 30.0, 30.0], [10, 80.0, 80.0], [20, 50.0, 50.0]]}}
    windows = {"pm25": 200}
    rated = (("pm25", 200), ("pm25", 50), ("no2", 60))
    moved = rates.moves(memory, rated, windows, epoch=200.0, values={"pm25": 50.0, "no2": 3.0})
    assert moved[("pm25", 200)] == (20.0, 30.0)
    assert moved[("pm25", 50)] == (0.0, 0.0)
    assert ("no2", 60) not in moved


def test_the_bucket_the_window_starts_in_is_left_out() -> None:
    # 10 s buckets; at 205 the 200 s window starts at 5: bucket 0 (0-10) began before it and is left out.
    memory = {"s": {"pm25": [[0, 10.0, 10.0], [1, 20.0, 20.0], [20, 60.0, 60.0]]}}
    moved = rates.moves(memory, (("pm25", 200),), {"pm25": 200}, epoch=205.0, values={"pm25": 60.0})
    assert moved[("pm25", 200)] == (40.0, 0.0)
