"""A bounded pool for decoding photos: a few dedicated threads per process, and a short wait for one.

Decoding a photo of tens of megapixels takes a core for a long moment. In the default thread pool, twenty
uploads at once took every thread the event loop has (database, files) and stalled the API. Here at most
`workers` decodes run at a time; a request waits at most `wait_seconds` for a free decoder, then is told to
come back later (DecoderBusyError, a 503 with Retry-After at the API).
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from typing import Any, TypeVar

T = TypeVar("T")


class DecoderBusyError(Exception):
    """Every decoder stayed busy for the whole wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"every photo decoder is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class DecodePool:
    def __init__(self, workers: int, wait_seconds: float) -> None:
        if workers < 1:
            raise ValueError("a decode pool needs at least one worker")
        self.workers = workers
        self.wait_seconds = wait_seconds
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media-decode")
        # asyncio primitives belong to one event loop; a process normally has one, tests have many.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._slots.get(loop)
        if semaphore is None:
            semaphore = self._slots[loop] = asyncio.Semaphore(self.workers)
        return semaphore

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait_seconds))

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` on a decoder thread, or DecoderBusyError after the wait."""
        semaphore = self._semaphore()
        try:
            await asyncio.wait_for(semaphore.acquire(), self.wait_seconds)
        except TimeoutError:
            raise DecoderBusyError(self.retry_after) from None
        try:
            future = asyncio.get_running_loop().run_in_executor(
                self._executor, partial(function, *args, **kwargs)
            )
        except BaseException:
            semaphore.release()
            raise
        # The slot is free when the thread is, not when the caller stops waiting: a cancelled request must not
        # let more decodes run than there are workers.
        future.add_done_callback(lambda _: semaphore.release())
        return await asyncio.shield(future)


@lru_cache(maxsize=8)
def decode_pool(workers: int, wait_seconds: float) -> DecodePool:
    """The process's pool for these limits, made on first use."""
    return DecodePool(workers, wait_seconds)
