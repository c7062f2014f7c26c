"""The worker's figures loop: every hour, each unit's on-time figures of the current month as a
`dossiers.figures` event for the operations centre's wall (topic dossiers: officers of the unit, admins).

One statement counts every unit at once (grouped by unit), then one event per unit that received dossiers
this month. One active instance per database (the others stand by).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.calendar import WorkingCalendar, working_calendar
from core.db import create_engine
from core.events.outbox import emit, new_event
from core.settings import Settings
from dossiers.figures.clock import clock_at
from dossiers.figures.period import current_month, month_period
from dossiers.figures.repository.counts import FiguresFilter, Grouping, count_figures
from dossiers.figures.schemas import figures_of

log = logging.getLogger("smartcity.dossiers.figures")

FIGURES_LOCK_KEY = 0x5C1E_D05F
EVENT_TYPE = "dossiers.figures"


async def emit_figures(session: AsyncSession, calendar: WorkingCalendar, now: datetime) -> int:
    """One dossiers.figures event per unit with dossiers received this (local) month; how many. Never
    commits."""
    month = current_month(now)
    period = month_period(month)
    scope = FiguresFilter(received_from=period.received_from, received_to=period.received_to)
    rows = await count_figures(session, scope, clock_at(calendar, now), Grouping.UNIT)
    for row in rows:
        data = {
            "month": month,
            "as_of": now.astimezone(UTC).isoformat(),
            "unit_name": row.unit_name,
            "unit_name_en": row.unit_name_en,
            "figures": figures_of(row).model_dump(mode="json"),
        }
        await emit(
            session, new_event(EVENT_TYPE, unit_code=row.key, subject_id=None, data=data, occurred_at=now)
        )
    return len(rows)


async def run_figures(settings: Settings, stop: asyncio.Event) -> None:
    """Send the figures every dossier_figures_interval_seconds until `stop` is set (the worker's entry
    point)."""
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    calendar = working_calendar(settings)

    async def send() -> None:
        async with sessions() as session:
            units = await emit_figures(session, calendar, datetime.now(UTC))
            await session.commit()
        log.info("dossier figures sent", extra={"units": units})

    async def active(connection: AsyncConnection) -> None:
        await every(
            settings.dossier_figures_interval_seconds,
            stop,
            send,
            log=log,
            what="dossier figures",
            lock_connection=connection,
        )

    try:
        await run_singleton(
            engine,
            stop,
            name="dossier figures task",
            lock_key=FIGURES_LOCK_KEY,
            standby_seconds=settings.dossier_figures_interval_seconds,
            active=active,
            log=log,
        )
    finally:
        await engine.dispose()
