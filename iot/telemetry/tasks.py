"""The worker's device task: liveness and live updates every iot_live_interval_seconds; partitions ahead,
retention and hourly rollups every iot_upkeep_interval_seconds, in a task of their own beside the ticks.

One task is active per database: it holds a session-level PostgreSQL advisory lock on its own connection
and the others stand by, trying again each interval (the same scheme as the relay and the SLA task). The
live updates remember what they sent in memory, which is why there must be only one. A failed tick or
upkeep step is logged and tried again at the next interval; a lost lock connection starts over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.db import create_engine
from core.settings import Settings
from iot.telemetry import retention, rollups
from iot.telemetry.live_updates import LiveUpdates
from iot.telemetry.liveness import update_liveness

log = logging.getLogger("smartcity.iot.devices")

DEVICES_LOCK_KEY = 0x5C1E_0D1E


async def live_tick(sessions: async_sessionmaker[AsyncSession], live: LiveUpdates, now: datetime) -> None:
    """Liveness and live updates in one transaction."""
    try:
        async with sessions() as session:
            flips = await update_liveness(session, now)
            updated = await live.tick(session, now)
            await session.commit()
    except BaseException:
        live.discard()
        raise
    live.confirm()
    if flips:
        log.info(
            "devices changed state",
            extra={"online": sum(f.online for f in flips), "offline": sum(not f.online for f in flips)},
        )
    if updated:
        log.debug("live device updates", extra={"devices": updated})


async def upkeep(sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> None:
    """Each step in its own transaction: one that fails (a lock timeout on detaching a partition) does
    not undo the others."""
    result = retention.RetentionResult()

    async def step(name: str, work: Callable[[AsyncConnection], Awaitable[None]]) -> None:
        try:
            async with sessions() as session:
                connection = await session.connection()
                await work(connection)
                await session.commit()
        except Exception:
            log.exception("device upkeep step failed", extra={"step": name})

    async def ahead(connection: AsyncConnection) -> None:
        result.partitions_made = await retention.make_partitions_ahead(connection, now)

    async def drop(connection: AsyncConnection) -> None:
        result.partitions_dropped = await retention.drop_old_partitions(connection, settings, now)

    async def delete(connection: AsyncConnection) -> None:
        await retention.delete_old_rows(connection, settings, now, result)

    rolled = 0

    async def roll(connection: AsyncConnection) -> None:
        nonlocal rolled
        rolled = await rollups.roll_up(connection, now)

    for name, work in (
        ("partitions_ahead", ahead),
        ("drop_partitions", drop),
        ("delete_old_rows", delete),
        ("rollups", roll),
    ):
        await step(name, work)
    log.info(
        "device upkeep done",
        extra={
            "partitions_made": [str(day) for day in result.partitions_made],
            "partitions_dropped": [str(day) for day in result.partitions_dropped],
            "camera_events_deleted": result.camera_events_deleted,
            "rollups_deleted": result.rollups_deleted,
            "dead_letters_deleted": result.dead_letters_deleted,
            "hourly_rows_written": rolled,
        },
    )


async def run_devices(settings: Settings, stop_event: asyncio.Event) -> None:
    """Run the device task until `stop_event` is set (the worker's entry point)."""
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def active(connection: AsyncConnection) -> None:
        # The upkeep runs beside the ticks, on its own connections: a rollup over a busy fleet takes seconds,
        # and the ticks must not wait for it.
        upkeep_task = asyncio.create_task(
            every(
                settings.iot_upkeep_interval_seconds,
                stop_event,
                lambda: upkeep(sessions, settings, datetime.now(UTC)),
                log=log,
                what="device upkeep",
            ),
            name="devices-upkeep",
        )
        live = LiveUpdates()
        try:
            await every(
                settings.iot_live_interval_seconds,
                stop_event,
                lambda: live_tick(sessions, live, datetime.now(UTC)),
                log=log,
                what="device liveness tick",
                lock_connection=connection,
            )
        finally:
            upkeep_task.cancel()
            with suppress(asyncio.CancelledError):
                await upkeep_task

    try:
        await run_singleton(
            engine,
            stop_event,
            name="device task",
            lock_key=DEVICES_LOCK_KEY,
            standby_seconds=settings.iot_live_interval_seconds,
            active=active,
            log=log,
        )
    finally:
        await engine.dispose()
