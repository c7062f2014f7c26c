"""The worker's incidents loop: closes open incidents whose members are all done.

Alarms clearing close their incidents at once (ioc.incidents.reactions); reports are resolved in the
reports' own lifecycle, which knows nothing of incidents, so an incident whose last open report is resolved
after its alarms cleared closes at the next sweep. One active instance per database (the others stand by).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.db import create_engine
from core.settings import Settings
from ioc.incidents import membership
from ioc.incidents.links import current_links
from ioc.incidents.membership import Change
from ioc.incidents.repository import changes
from ioc.incidents.types import IncidentCloseReason, IncidentStatus

log = logging.getLogger("smartcity.ioc.incidents")

INCIDENTS_LOCK_KEY = 0x5C1E_1C1D
SWEEP_BATCH = 500


async def close_finished(session: AsyncSession, now: datetime) -> int:
    """Close up to SWEEP_BATCH open incidents whose alarms are all cleared and reports all done; how many
    closed. Never commits."""
    candidates = await changes.finished_open_incidents(session, SWEEP_BATCH)
    statuses = await changes.lock_incidents(session, candidates)
    still_open = [key for key, status in statuses.items() if status == IncidentStatus.OPEN.value]
    change = Change(actor_id=None, now=now, buffer_m=current_links().footprint_buffer_m)
    closed = await membership.close(
        session, still_open, IncidentCloseReason.RESOLVED, change, only_finished=True
    )
    return len(closed)


async def run_incidents(settings: Settings, stop: asyncio.Event) -> None:
    """Sweep every ioc_incidents_sweep_seconds until `stop` is set (the worker's entry point)."""
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def sweep() -> None:
        async with sessions() as session:
            closed = await close_finished(session, datetime.now(UTC))
            await session.commit()
        if closed:
            log.info("finished incidents closed", extra={"closed": closed})

    async def active(connection: AsyncConnection) -> None:
        await every(
            settings.ioc_incidents_sweep_seconds,
            stop,
            sweep,
            log=log,
            what="incidents sweep",
            lock_connection=connection,
        )

    try:
        await run_singleton(
            engine,
            stop,
            name="incidents task",
            lock_key=INCIDENTS_LOCK_KEY,
            standby_seconds=settings.ioc_incidents_sweep_seconds,
            active=active,
            log=log,
        )
    finally:
        await engine.dispose()
