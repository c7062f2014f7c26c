"""The worker's dispatch task: rings widened and dispatches escalated on time, stale positions erased.

Every ioc_dispatch_tick_seconds: positions older than the TTL are erased; each open dispatch whose alarm no
longer needs anyone is cancelled, and each whose ring was all declined or waited ioc_dispatch_answer_seconds
is widened to the next ring or escalated; once an hour, photo uploads never attached are removed. One task
is active per database (advisory lock; the others stand by), since two would widen the same ring twice.
Each dispatch moves in its own transaction, with its alarm locked (SKIP LOCKED: one a request is changing
is looked at again next tick), so one failing dispatch never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.db import create_engine, create_sessionmaker
from core.media import MediaStorage, media_storage
from core.settings import Settings
from ioc.dispatch import offers, progress
from ioc.dispatch.repository import dispatches as repository
from ioc.dispatch.repository import field_status

log = logging.getLogger("smartcity.ioc.dispatch")

DISPATCH_LOCK_KEY = 0x5C1E_D15B
BATCH_SIZE = 200
UPLOADS_EVERY_SECONDS = 3600.0


@dataclass(slots=True)
class TickResult:
    positions_purged: int = 0
    dispatches_moved: int = 0
    dispatches_skipped: int = 0
    dispatches_failed: int = 0


async def tick(sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> TickResult:
    result = TickResult()
    answered_before = now - timedelta(seconds=settings.ioc_dispatch_answer_seconds)
    async with sessions() as session:
        result.positions_purged = await field_status.purge_stale(
            session, fresh_after=offers.fresh_after(settings, now)
        )
        due = await repository.due(session, answered_before=answered_before, limit=BATCH_SIZE)
        await session.commit()
    for dispatch_id, alarm_id in due:
        await _move_one(sessions, settings, dispatch_id, alarm_id, now, result)
    if result.positions_purged or result.dispatches_moved or result.dispatches_failed:
        log.info("dispatch tick", extra={"result": str(result)})
    return result


async def _move_one(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    dispatch_id: uuid.UUID,
    alarm_id: uuid.UUID,
    now: datetime,
    result: TickResult,
) -> None:
    try:
        async with sessions() as session:
            moved = await offers.move_on(session, settings, dispatch_id, alarm_id, now)
            await session.commit()
    except Exception:  # one dispatch's failure is logged; the next tick tries it again
        log.exception("dispatch step failed", extra={"dispatch_id": str(dispatch_id)})
        result.dispatches_failed += 1
        return
    if moved:
        result.dispatches_moved += 1
    else:
        result.dispatches_skipped += 1


async def remove_stale_uploads(
    sessions: async_sessionmaker[AsyncSession], storage: MediaStorage, now: datetime
) -> int:
    async with sessions() as session:
        removed = await progress.delete_stale_uploads(session, storage, now=now)
        await session.commit()
    return removed


async def run_dispatch(settings: Settings, stop: asyncio.Event) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    storage = media_storage(settings)
    next_uploads = time.monotonic()

    async def step() -> None:
        nonlocal next_uploads
        now = datetime.now(UTC)
        await tick(sessions, settings, now)
        if time.monotonic() >= next_uploads:
            next_uploads = time.monotonic() + UPLOADS_EVERY_SECONDS
            await remove_stale_uploads(sessions, storage, now)

    async def active(connection: AsyncConnection) -> None:
        await every(
            settings.ioc_dispatch_tick_seconds,
            stop,
            step,
            log=log,
            what="dispatch tick",
            lock_connection=connection,
        )

    try:
        await run_singleton(
            engine,
            stop,
            name="dispatch task",
            lock_key=DISPATCH_LOCK_KEY,
            standby_seconds=settings.ioc_dispatch_tick_seconds,
            active=active,
            log=log,
        )
    finally:
        await engine.dispose()
