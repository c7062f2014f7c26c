"""One active instance of a job per database, the others standing by, and periodic work inside it.

`run_singleton` connects, takes a session-level advisory lock, and runs the job's `active` body while it
holds it. Another process with the same key stands by, trying the lock every `standby_seconds`, and takes
over when the active one dies: its connection closes and the lock goes with it. A lost connection (or any
error out of `active`) is logged and the whole thing starts over after a backoff; only `stop` ends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.background.backoff import Backoff
from core.background.repository import keep_alive, try_advisory_lock
from core.background.stopping import wait_for_stop

ActiveBody = Callable[[AsyncConnection], Awaitable[None]]


async def run_singleton(
    engine: AsyncEngine,
    stop: asyncio.Event,
    *,
    name: str,
    lock_key: int,
    standby_seconds: float,
    active: ActiveBody,
    log: logging.Logger,
    on_release: Callable[[], None] | None = None,
) -> None:
    """Run `active(connection)` whenever this process holds the lock `lock_key`, until `stop` is set.

    `active` returns when `stop` is set, or raises when its connection is lost; it may use the connection
    (the relay listens on it) but must leave it outside a transaction between its round trips, or the lock
    would be held inside one. `on_release` is called each time the lock is let go.
    """
    backoff = Backoff()
    while not stop.is_set():
        try:
            async with engine.connect() as connection:
                try:
                    if await _lock_or_stand_by(connection, stop, name, lock_key, standby_seconds, log):
                        log.info("%s active", name)
                        await active(connection)
                finally:
                    if on_release is not None:
                        on_release()
                    # The advisory lock belongs to this connection's session: closing it, rather than
                    # returning it to the pool, is what lets a standby take over.
                    await connection.invalidate()
            backoff.reset()
        except Exception:  # a job never stops on an error: log, wait, start over
            log.exception("%s lost its database connection; retrying", name)
            await wait_for_stop(stop, backoff.next())


async def _lock_or_stand_by(
    connection: AsyncConnection,
    stop: asyncio.Event,
    name: str,
    lock_key: int,
    standby_seconds: float,
    log: logging.Logger,
) -> bool:
    """True once the lock is held; False when stopped while standing by."""
    standby_logged = False
    while not await try_advisory_lock(connection, lock_key):
        if not standby_logged:
            log.info("another %s is active; standing by", name)
            standby_logged = True
        if await wait_for_stop(stop, standby_seconds):
            return False
    return True


async def every(
    seconds: float,
    stop: asyncio.Event,
    tick: Callable[[], Awaitable[None]],
    *,
    log: logging.Logger,
    what: str,
    lock_connection: AsyncConnection | None = None,
) -> None:
    """Call `tick` every `seconds`, start to start, until `stop` is set. A failing tick is logged and the
    next one runs on time. With `lock_connection`, the singleton's connection is checked after each tick:
    a dead one raises, which ends the active body and lets run_singleton take the lock anew."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            await tick()
        except Exception:  # one failed tick never stops the job: the next one tries again
            log.exception("%s failed", what)
        if lock_connection is not None:
            await keep_alive(lock_connection)
        await wait_for_stop(stop, seconds - (time.monotonic() - started))
