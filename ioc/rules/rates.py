"""What a rule state remembers of a metric for rates of change (`pm25 rises by 50 within 10 minutes`): the
lowest and highest value per twentieth of the metric's longest window, so its size is bounded however often
the device reports (a sensor every few seconds over an hour would otherwise mean a thousand samples, parsed
and written back with every batch).

Per metric, a list of [bucket, lowest, highest], oldest first, where bucket = floor(epoch / width) and
width = window / BUCKETS. Only the side a rule asks about moves (the lowest for rises, the highest for
falls): a bucket whose kept side does not change leaves the state as it was, and an unchanged state is not
written back. A rise over a window is the latest value minus the lowest of the buckets that begin inside the
window: the bucket the window's start falls in is left out, so a rise is never measured from a value older
than the window (the price: a low point in the window's first twentieth may be missed).
"""

from __future__ import annotations

import math
from typing import Any, Final

BUCKETS: Final = 20

Buckets = list[list[float]]
Moves = dict[tuple[str, int], tuple[float, float]]


def width_of(window: int) -> float:
    return window / BUCKETS


def add_sample(
    buckets: Buckets | None, epoch: float, value: float, window: int, rises: bool = True, falls: bool = True
) -> Buckets:
    """`buckets` with (epoch, value) added and the buckets the window no longer reaches dropped (the same
    list when nothing changed). Readings come in time order (a late one never gets here)."""
    index = math.floor(epoch / width_of(window))
    first = index - BUCKETS
    # A list of another shape comes from an older release of the rules: start afresh.
    kept = [b for b in buckets or () if len(b) == 3 and first <= b[0] <= index]
    if not kept or kept[-1][0] != index:
        kept.append([index, value, value])
        return kept
    _, lowest, highest = kept[-1]
    lower = rises and value < lowest
    higher = falls and value > highest
    if lower or higher:
        kept[-1] = [index, value if lower else lowest, value if higher else highest]
    return kept


def moves(
    memory: dict[str, Any],
    rates: tuple[tuple[str, int], ...],
    windows: dict[str, int],
    epoch: float,
    values: dict[str, float],
) -> Moves:
    """(rise, fall) per (metric, window) at `epoch`: the latest value (in `values`) minus the lowest in the
    window, and the highest minus the latest. A metric with no value has none (its rate of change does not
    hold). A window shorter than a bucket (a metric also read over a much longer one) is measured on the
    newest bucket."""
    found: Moves = {}
    series: dict[str, Buckets] = memory.get("s") or {}
    for metric, within in rates:
        buckets = series.get(metric)
        latest = values.get(metric)
        if not buckets or latest is None or not math.isfinite(latest):
            continue
        width = width_of(windows[metric])
        horizon = epoch - within
        inside = [b for b in buckets if b[0] * width >= horizon] or buckets[-1:]
        lowest = min(min(b[1] for b in inside), latest)
        highest = max(max(b[2] for b in inside), latest)
        found[(metric, within)] = (latest - lowest, highest - latest)
    return found
