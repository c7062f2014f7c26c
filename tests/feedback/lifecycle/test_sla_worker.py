"""`smartcity worker --only sla` as a real process: it finds a committed report past its deadline, marks it
overdue with a timeline entry, an event and a push to the unit, then stops cleanly on SIGTERM.

The worker reads committed data only, so this test commits its rows and removes them afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units
from feedback.catalogue.seed import seed_catalogue
from feedback.reports.models import Report
from tests.feedback.conftest import CATALOGUE
from tests.feedback.support import insert_report
from tests.support.events import eventually
from tests.support.units import DEMO


@pytest.fixture
async def overdue_report(engine: AsyncEngine) -> AsyncIterator[Report]:
    committed = async_sessionmaker(engine, expire_on_commit=False)
    async with committed() as session:
        had_units = bool(await session.scalar(text("SELECT count(*) FROM admin_units WHERE code = '37'")))
        had_catalogue = bool(await session.scalar(text("SELECT count(*) FROM feedback_categories")))
        if not had_units:
            await import_units(session, DEMO)
        if not had_catalogue:
            await seed_catalogue(session, CATALOGUE)
        now = datetime.now(UTC)
        report = await insert_report(
            session,
            created_at=now - timedelta(days=3),
            acknowledge_due_at=now - timedelta(hours=1),
            resolve_due_at=now + timedelta(days=5),
        )
        await session.commit()
    try:
        yield report
    finally:
        async with committed() as session:
            await _remove(session, report, units=not had_units, catalogue=not had_catalogue)
            await session.commit()


async def _remove(session: AsyncSession, report: Report, *, units: bool, catalogue: bool) -> None:
    params = {"id": str(report.id)}
    await session.execute(
        text(
            "DELETE FROM push_outbox WHERE notification_id IN "
            "(SELECT id FROM notifications WHERE data->>'report_id' = :id)"
        ),
        params,
    )
    await session.execute(text("DELETE FROM notifications WHERE data->>'report_id' = :id"), params)
    await session.execute(text("DELETE FROM event_outbox WHERE subject_id = :id"), params)
    await session.execute(text("DELETE FROM feedback_reports WHERE id = :id"), {"id": report.id})
    if catalogue:
        await session.execute(text("DELETE FROM feedback_categories"))
        await session.execute(text("DELETE FROM departments"))
    if units:
        await session.execute(text("DELETE FROM incidents"))
        await session.execute(text("DELETE FROM admin_units WHERE parent_code IS NOT NULL"))
        await session.execute(text("DELETE FROM admin_units"))


async def test_the_sla_worker_marks_an_overdue_report_then_stops(
    settings: Settings, engine: AsyncEngine, overdue_report: Report
) -> None:
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": settings.redis_dsn,
        "SMARTCITY_FEEDBACK_SLA_INTERVAL_SECONDS": "0.2",
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "smartcity"),
        "worker",
        "--only",
        "sla",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    committed = async_sessionmaker(engine, expire_on_commit=False)
    try:

        async def marked() -> bool:
            async with committed() as session:
                state = await session.scalar(
                    text("SELECT sla_state FROM feedback_reports WHERE id = :id"), {"id": overdue_report.id}
                )
                return bool(state == "overdue")

        await eventually(marked, "the worker marked the report overdue", seconds=30)
        async with committed() as session:
            kinds = (
                await session.execute(
                    text("SELECT kind, actor_role FROM feedback_timeline WHERE report_id = :id"),
                    {"id": overdue_report.id},
                )
            ).all()
            events = (
                (
                    await session.execute(
                        text("SELECT type FROM event_outbox WHERE subject_id = :id"),
                        {"id": str(overdue_report.id)},
                    )
                )
                .scalars()
                .all()
            )
            topics = (
                (
                    await session.execute(
                        text("SELECT topic FROM notifications WHERE data->>'report_id' = :id ORDER BY topic"),
                        {"id": str(overdue_report.id)},
                    )
                )
                .scalars()
                .all()
            )
        assert [tuple(k) for k in kinds] == [("overdue", "system")]
        assert list(events) == ["feedback.overdue"]
        # Staff are told one by one: nothing reaches the ward's public topics.
        assert [topic for topic in topics if topic is not None] == []
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
