"""Waiting that a stop cuts short, and the signals that set the stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def wait_any(*events: asyncio.Event, seconds: float) -> None:
    """Return when one of the events is set or after `seconds` (at once when `seconds` is not positive)."""
    if any(event.is_set() for event in events) or seconds <= 0:
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def wait_for_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`, or less when `stop` is set meanwhile; True when stopped."""
    await wait_any(stop, seconds=seconds)
    return stop.is_set()


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[asyncio.Event]:
    """SIGTERM and SIGINT set `stop` while inside the block (a supervisor's stop, Ctrl-C); the process's
    previous handling is restored on the way out. Must run inside the event loop."""
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
