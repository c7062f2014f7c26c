"""Exponential delays between retries, reset by a success."""

from __future__ import annotations

BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 5.0


class Backoff:
    """Each `next()` doubles the delay up to the ceiling; `reset()` after a success starts again from the
    first. A job that lost its database or broker retries quickly at first and then settles to the ceiling,
    so a long outage costs a retry every few seconds, not a busy loop."""

    def __init__(self, first: float = BACKOFF_FIRST_SECONDS, ceiling: float = BACKOFF_MAX_SECONDS) -> None:
        self._first = first
        self._ceiling = ceiling
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._ceiling)
        return delay

    def reset(self) -> None:
        self._next = self._first
