"""The outbox relay: moves committed events from the event_outbox table to the Redis Stream.

One relay is active per database at a time: it holds a PostgreSQL advisory lock on its own connection, and
any other relay waits as a standby, trying the lock every relay_poll_seconds, so a second relay takes over
when the first dies (its connection closes and the lock goes with it). The active relay wakes on a NOTIFY
sent by the emitting transaction's commit, and polls every relay_poll_seconds in case a notification was
missed.

Each batch: lock the oldest unrelayed rows (FOR UPDATE SKIP LOCKED), append them to the stream in one
MULTI/EXEC, stamp relayed_at, commit. When Redis is down the batch is rolled back and retried with backoff:
nothing is lost. A crash after the append and before the commit appends the batch again on restart, so
consumers drop duplicates by event id.

Relayed rows are deleted RETENTION_DAYS after they were written; the table is a log of recent events, the
stream the log clients read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.background.backoff import Backoff
from core.background.singleton import run_singleton
from core.background.stopping import stop_on_signals, wait_any
from core.db import create_engine
from core.events import repository, stream
from core.logging import configure_logging
from core.settings import Settings, get_settings

log = logging.getLogger("smartcity.events.relay")

RETENTION_DAYS = 7
RETENTION_EVERY_SECONDS = 3600.0
RETENTION_CHUNK = 10_000
REDIS_TIMEOUT_SECONDS = 5.0


class Relay:
    def __init__(self, settings: Settings, engine: AsyncEngine, redis: Redis) -> None:
        self._settings = settings
        self._engine = engine
        self._redis = redis
        # Observable state, for logs and tests.
        self.active = False
        self.relayed = 0

    async def run(self, stop: asyncio.Event) -> None:
        async def active(connection: AsyncConnection) -> None:
            await self._listen_and_relay(connection, stop)

        await run_singleton(
            self._engine,
            stop,
            name="relay",
            lock_key=repository.RELAY_LOCK_KEY,
            standby_seconds=self._settings.relay_poll_seconds,
            active=active,
            log=log,
            on_release=self._released,
        )

    def _released(self) -> None:
        self.active = False

    async def _listen_and_relay(self, connection: AsyncConnection, stop: asyncio.Event) -> None:
        wake = asyncio.Event()
        driver: Any = (await connection.get_raw_connection()).driver_connection

        def on_notify(*_: object) -> None:
            wake.set()

        # Straight on the driver, outside any transaction, so that LISTEN takes effect at once.
        await driver.add_listener(repository.NOTIFY_CHANNEL, on_notify)
        self.active = True
        try:
            await self._relay_until(connection, stop, wake)
        finally:
            with suppress(Exception):
                await driver.remove_listener(repository.NOTIFY_CHANNEL, on_notify)

    async def _relay_until(
        self, connection: AsyncConnection, stop: asyncio.Event, wake: asyncio.Event
    ) -> None:
        redis_backoff = Backoff()
        next_retention = time.monotonic()
        while not stop.is_set():
            # Cleared before reading, so that a commit landing during the batch still wakes the next wait.
            wake.clear()
            try:
                count = await self._relay_batch(connection)
            except RedisError as exc:
                delay = redis_backoff.next()
                log.warning(
                    "Redis unavailable; events stay in the outbox",
                    extra={"error": f"{type(exc).__name__}: {exc}", "retry_in_seconds": delay},
                )
                await wait_any(stop, seconds=delay)
                continue
            redis_backoff.reset()
            if count >= self._settings.relay_batch_size:
                continue
            if time.monotonic() >= next_retention:
                await self._delete_old(connection)
                next_retention = time.monotonic() + RETENTION_EVERY_SECONDS
            await wait_any(stop, wake, seconds=self._settings.relay_poll_seconds)

    async def _relay_batch(self, connection: AsyncConnection) -> int:
        pending = await repository.pending_events(connection, self._settings.relay_batch_size)
        if not pending:
            await connection.commit()
            return 0
        envelopes = [event.envelope for event in pending if event.envelope is not None]
        for event in pending:
            if event.envelope is None:
                # Written by hand or by an older version: relaying it would break clients, retrying it
                # would block every event behind it. It stays in the table, stamped, for inspection.
                log.error("outbox row is not a valid event; skipped", extra={"outbox_id": event.row_id})
        try:
            if envelopes:
                await stream.append(
                    self._redis, self._settings.events_stream, envelopes, self._settings.events_stream_maxlen
                )
        except BaseException:
            await connection.rollback()
            raise
        await repository.mark_relayed(connection, [event.row_id for event in pending])
        await connection.commit()
        self.relayed += len(envelopes)
        return len(pending)

    async def _delete_old(self, connection: AsyncConnection) -> None:
        cutoff = datetime.now(UTC) - timedelta(days=RETENTION_DAYS)
        deleted = RETENTION_CHUNK
        while deleted >= RETENTION_CHUNK:
            deleted = await repository.delete_relayed_before(connection, cutoff, RETENTION_CHUNK)
            await connection.commit()
            if deleted:
                log.info("deleted relayed outbox rows", extra={"count": deleted})


async def run_relay(settings: Settings, stop_event: asyncio.Event) -> None:
    """Relay until stop_event is set (the worker process's entry point)."""
    engine = create_engine(settings)
    redis = Redis.from_url(
        settings.redis_dsn, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        await Relay(settings, engine, redis).run(stop_event)
    finally:
        await redis.aclose()
        await engine.dispose()


async def _serve(settings: Settings) -> None:
    with stop_on_signals(asyncio.Event()) as stop:
        await run_relay(settings, stop)


def main() -> None:
    """`python -m core.events.relay`: the relay alone, without the rest of the worker."""
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
