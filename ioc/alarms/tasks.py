"""The alerts task (worker loop "alerts"): the reactions to alarm changes, and the reminders.

It LISTENs on `smartcity_alarms` on a connection of its own, so it wakes as soon as a change that added a
timeline entry commits (the NOTIFY is delivered at commit), and polls every `ioc_alerts_poll_seconds` in
case a notification was missed (the connection was being re-made). Each pass reacts to pending entries
batch by batch, each batch in its own transaction, until the queue is empty, then sends the reminders that
are due, again batch by batch.

No singleton is needed: several workers share the queue and the reminders through SKIP LOCKED, and the
listening connection holds no lock (losing it only means reconnecting). An error in a pass is logged and
the next pass tries again; no error stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.background.backoff import Backoff
from core.background.repository import keep_alive
from core.background.stopping import wait_any, wait_for_stop
from core.db import create_engine, create_sessionmaker, utcnow
from core.settings import Settings
from ioc.alarms import reactions, reminders
from ioc.alarms.repository.journal import NOTIFY_CHANNEL

log = logging.getLogger("smartcity.ioc.alerts")


class AlertsTask:
    def __init__(
        self, settings: Settings, engine: AsyncEngine, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._sessions = create_sessionmaker(engine)
        self._clock = clock
        # Observable, for logs and tests: set while the LISTEN is in place; passes made so far.
        self.listening = asyncio.Event()
        self.passes = 0

    async def run(self, stop: asyncio.Event) -> None:
        """React and remind until `stop` is set; a lost listening connection is made again after a backoff."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                async with self._engine.connect() as connection:
                    try:
                        await self._listen(connection, stop)
                    finally:
                        # Its listener dies with it, rather than lingering in the pool.
                        await connection.invalidate()
                backoff.reset()
            except Exception:  # never stop: log, wait, listen again
                log.exception("alerts task lost its listening connection; retrying")
                await wait_for_stop(stop, backoff.next())

    async def _listen(self, connection: AsyncConnection, stop: asyncio.Event) -> None:
        wake = asyncio.Event()
        driver: Any = (await connection.get_raw_connection()).driver_connection

        def on_notify(*_: object) -> None:
            wake.set()

        # On the driver, outside any transaction, so that LISTEN takes effect at once.
        await driver.add_listener(NOTIFY_CHANNEL, on_notify)
        self.listening.set()
        try:
            while not stop.is_set():
                # Cleared before the pass, so that a commit landing during it wakes the next wait.
                wake.clear()
                await self.work_once()
                await keep_alive(connection)  # raises when the listening connection is gone
                await wait_any(stop, wake, seconds=self._settings.ioc_alerts_poll_seconds)
        finally:
            self.listening.clear()
            with suppress(Exception):
                await driver.remove_listener(NOTIFY_CHANNEL, on_notify)

    async def work_once(self) -> None:
        """React until the queue is empty, then send the due reminders. Errors are logged, not raised."""
        try:
            while await self.react_batch() >= reactions.BATCH:
                pass
        except Exception:
            log.exception("alarm reactions failed; retrying on the next pass")
        try:
            while await self.remind_batch() >= reminders.BATCH:
                pass
        except Exception:
            log.exception("alarm reminders failed; retrying on the next pass")
        self.passes += 1

    async def react_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            return await reactions.react_once(session, self._settings)

    async def remind_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            return await reminders.remind_due(session, self._settings, now=self._clock())


async def run_alerts(settings: Settings, stop_event: asyncio.Event) -> None:
    """The worker process's loop "alerts": its own engine, closed when stop_event ends the loop."""
    engine = create_engine(settings)
    try:
        await AlertsTask(settings, engine).run(stop_event)
    finally:
        await engine.dispose()
