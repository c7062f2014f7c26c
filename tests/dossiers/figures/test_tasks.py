"""The worker's figures loop: one dossiers.figures event per unit with the month's figures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from api.worker import LOOPS
from core.calendar import WorkingCalendar
from core.events.access import TOPIC_ACCESS, Reach
from core.events.models import OutboxEvent
from core.identity.principal import Role
from core.settings import Settings
from dossiers.figures.tasks import EVENT_TYPE, FIGURES_LOCK_KEY, emit_figures, run_figures
from mobile_contract.events import Topic
from tests.dossiers.conftest import OTHER_WARD, WARD, Offices
from tests.support.dossier_rows import make_dossier
from tests.support.events import DEADLINE_SECONDS, eventually

_HELD = text("""
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND classid = :high AND objid = :low AND objsubid = 1
""")


async def test_one_event_per_unit_with_its_figures(units: AsyncSession, offices: Offices) -> None:
    now = datetime.now(UTC)
    for _ in range(2):
        await make_dossier(units, offices.agency, offices.procedure, received_at=now - timedelta(minutes=1))
    await make_dossier(
        units, offices.other_agency, offices.procedure, received_at=now - timedelta(minutes=1), due_at=now
    )
    sent = await emit_figures(units, WorkingCalendar.from_file(), now)
    events = (
        (await units.execute(select(OutboxEvent).where(col(OutboxEvent.type) == EVENT_TYPE))).scalars().all()
    )
    assert sent == len(events) >= 2
    by_unit = {event.unit_code: event for event in events}
    assert by_unit[WARD].topic == Topic.DOSSIERS.value
    assert by_unit[WARD].data["figures"]["received"] >= 2
    assert by_unit[OTHER_WARD].data["figures"]["open_within_deadline"] >= 1
    assert "applicant" not in str(by_unit[WARD].data)
    # Officers see dossiers events of their own units only; citizens none.
    assert TOPIC_ACCESS[Role.OFFICER][Topic.DOSSIERS] is Reach.OWN_UNITS
    assert Topic.DOSSIERS not in TOPIC_ACCESS[Role.CITIZEN]


async def test_the_worker_runs_the_figures_loop_until_stopped(
    migrated: Settings, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    assert LOOPS["dossier_figures"] is run_figures
    stop = asyncio.Event()
    settings = migrated.model_copy(update={"dossier_figures_interval_seconds": 0.05})
    key = {"high": FIGURES_LOCK_KEY >> 32, "low": FIGURES_LOCK_KEY & 0xFFFF_FFFF}

    async def held() -> bool:
        async with engine.connect() as connection:
            return bool(await connection.scalar(_HELD, key))

    with caplog.at_level(logging.WARNING, logger="smartcity"):
        task = asyncio.create_task(run_figures(settings, stop))
        try:
            await eventually(held, "the figures loop holds its lock")
        finally:
            stop.set()
            await asyncio.wait_for(task, DEADLINE_SECONDS)
    assert task.exception() is None
    assert not await held()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
