"""Backoff delays, waits that a stop cuts short, and the signals that set the stop."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from core.background.backoff import Backoff
from core.background.stopping import stop_on_signals, wait_any, wait_for_stop


def test_backoff_doubles_up_to_its_ceiling_and_starts_again_after_a_success() -> None:
    backoff = Backoff(0.1, 0.5)
    assert [backoff.next() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next() == 0.1


async def test_a_stop_cuts_a_wait_short() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    started = time.monotonic()
    assert await wait_for_stop(stop, 30) is True
    assert time.monotonic() - started < 5


async def test_a_wait_without_a_stop_lasts_its_time() -> None:
    started = time.monotonic()
    assert await wait_for_stop(asyncio.Event(), 0.05) is False
    assert time.monotonic() - started >= 0.05


async def test_wait_any_returns_at_once_when_an_event_is_set_or_no_time_is_left() -> None:
    started = time.monotonic()
    already = asyncio.Event()
    already.set()
    await wait_any(asyncio.Event(), already, seconds=30)
    await wait_any(asyncio.Event(), seconds=-1)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_sets_the_stop_and_the_handler_goes_with_the_block(signum: int) -> None:
    loop = asyncio.get_running_loop()
    with stop_on_signals(asyncio.Event()) as stop:
        os.kill(os.getpid(), signum)
        assert await wait_for_stop(stop, 10) is True
    # Outside the block the loop no longer handles the signal: removing it again finds nothing to remove.
    assert loop.remove_signal_handler(signum) is False
