"""Recent samples of a metric for rates of change (`pm25 rises by 50 within 10 minutes`), kept in a rule
state's memory and bounded.

Per metric, a list of [epoch seconds, value], oldest first. Samples older than the metric's longest window
are dropped; beyond MAX_SAMPLES (a device reporting every few seconds over a long window), a sample lying
between its two neighbours goes first, since the lowest and highest values of a window are what a rise or a
fall is measured from.
"""

from __future__ import annotations

from typing import Any, Final

MAX_SAMPLES: Final = 120

Samples = list[list[float]]
Moves = dict[tuple[str, int], tuple[float, float]]


def add_sample(samples: Samples | None, epoch: float, value: float, window: int) -> Samples:
    """A new list: `samples` with (epoch, value) added, trimmed to `window` seconds before `epoch`."""
    horizon = epoch - window
    kept = [sample for sample in samples or () if sample[0] >= horizon and sample[0] < epoch]
    kept.append([epoch, value])
    while len(kept) > MAX_SAMPLES:
        del kept[_least_telling(kept)]
    return kept


def _least_telling(samples: Samples) -> int:
    """The index of a sample whose removal changes no window's lowest or highest value as far as its
    neighbours tell: one between its two neighbours; failing that, the oldest but one."""
    for index in range(1, len(samples) - 1):
        before, value, after = samples[index - 1][1], samples[index][1], samples[index + 1][1]
        if min(before, after) <= value <= max(before, after):
            return index
    return 1


def moves(memory: dict[str, Any], rates: tuple[tuple[str, int], ...], epoch: float) -> Moves:
    """(rise, fall) per (metric, window) at `epoch`: the latest value minus the lowest in the window, and the
    highest minus the latest. A metric with no sample has none (its rate of change does not hold)."""
    found: Moves = {}
    series: dict[str, Samples] = memory.get("s") or {}
    for metric, within in rates:
        samples = series.get(metric)
        if not samples:
            continue
        latest = samples[-1][1]
        horizon = epoch - within
        values = [sample[1] for sample in samples if sample[0] >= horizon]
        if not values:
            continue
        found[(metric, within)] = (latest - min(values), max(values) - latest)
    return found
