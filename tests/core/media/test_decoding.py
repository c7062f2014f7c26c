"""The bounded decode pool: never more decodes at once than workers, a short wait, then DecoderBusyError."""

from __future__ import annotations

import asyncio
import threading
import time
from io import BytesIO

import pytest
from PIL import Image

from core.media import DecodePool, DecoderBusyError, sanitise_async

DEADLINE = 10.0


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 20), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


class Holder:
    """A decode that holds its thread until released, and says when it has started."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> bool:
        self.started.set()
        return self.release.wait(DEADLINE)

    async def running(self) -> None:
        deadline = time.monotonic() + DEADLINE
        while not self.started.is_set():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.005)  # polling interval, bounded by the deadline


async def _hold(pool: DecodePool) -> tuple[Holder, asyncio.Task[bool]]:
    holder = Holder()
    task = asyncio.create_task(pool.run(holder))
    await holder.running()
    return holder, task


async def test_a_busy_pool_refuses_after_the_wait_and_serves_again_once_free() -> None:
    pool = DecodePool(workers=1, wait_seconds=0.05)
    holder, first = await _hold(pool)
    with pytest.raises(DecoderBusyError) as refused:
        await pool.run(lambda: "never runs")
    assert refused.value.retry_after >= 1
    holder.release.set()
    assert await asyncio.wait_for(first, DEADLINE) is True
    assert await pool.run(lambda: "runs") == "runs"


async def test_no_more_decodes_at_once_than_workers() -> None:
    pool = DecodePool(workers=2, wait_seconds=DEADLINE)
    lock = threading.Lock()
    running, most = 0, 0
    gate = threading.Event()

    def decode() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == 2:
                gate.set()
        gate.wait(DEADLINE)
        with lock:
            running -= 1

    await asyncio.wait_for(asyncio.gather(*(pool.run(decode) for _ in range(6))), DEADLINE)
    assert most == 2


async def test_a_cancelled_caller_keeps_its_decoder_until_the_thread_is_done() -> None:
    pool = DecodePool(workers=1, wait_seconds=0.05)
    holder, waiting = await _hold(pool)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    # The thread still runs: another decode would exceed the pool.
    with pytest.raises(DecoderBusyError):
        await pool.run(lambda: None)
    holder.release.set()
    assert await asyncio.wait_for(pool.run(lambda: "free"), DEADLINE) == "free"


async def test_sanitise_runs_on_the_pool() -> None:
    pool = DecodePool(workers=1, wait_seconds=0.05)
    holder, busy = await _hold(pool)
    with pytest.raises(DecoderBusyError):
        await sanitise_async(jpeg(), pool=pool)
    holder.release.set()
    await busy
    processed = await sanitise_async(jpeg(), pool=pool)
    assert processed.image.content_type == "image/jpeg"
