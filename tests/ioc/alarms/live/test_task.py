"""The alerts task on its own connections: woken by the NOTIFY of a committed change (far sooner than its
poll), it reacts and sends due reminders; two workers never send one reminder twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.identity.principal import Role
from core.settings import Settings
from ioc.alarms.reminders import remind_due
from ioc.alarms.tasks import AlertsTask
from ioc.install import install
from ioc.types import Severity
from tests.ioc.alarms.live.conftest import World
from tests.ioc.alarms.support import record
from tests.support.events import WARD_A, eventually

# Longer than any wait below: whatever happens within them was woken by a NOTIFY, not by the poll.
SLOW_POLL = 30.0


@pytest.fixture
async def running(settings: Settings, engine: AsyncEngine) -> AsyncIterator[AlertsTask]:
    install()
    task = AlertsTask(settings.model_copy(update={"ioc_alerts_poll_seconds": SLOW_POLL}), engine)
    stop = asyncio.Event()
    worker = asyncio.create_task(task.run(stop))

    async def first_pass_done() -> bool:
        if worker.done():
            worker.result()
        return task.listening.is_set() and task.passes >= 1

    await eventually(first_pass_done, "the alerts task to listen and finish its first pass")
    yield task
    stop.set()
    async with asyncio.timeout(30):
        await worker


async def _scalar(world: World, sql: str, **params: Any) -> Any:
    async with world.sessions() as session:
        return await session.scalar(text(sql), params)


async def test_a_committed_change_wakes_the_task_at_once(world: World, running: AlertsTask) -> None:
    officer = await world.person(Role.OFFICER, WARD_A)
    flood = await world.alarm(severity=Severity.CRITICAL)
    started = datetime.now(UTC)
    async with world.sessions() as session:
        entry_id = await record(session, flood)
        await session.commit()

    async def reacted() -> bool:
        done = await _scalar(world, "SELECT reacted_at FROM alarm_timeline WHERE id = :id", id=entry_id)
        return done is not None

    await eventually(reacted, "the entry to be reacted to", seconds=10)
    assert (datetime.now(UTC) - started).total_seconds() < SLOW_POLL
    # Only the alarm's own push: with no field staff on duty, dispatch also tells the officers at once.
    pushed = await _scalar(
        world,
        "SELECT count(*) FROM notifications WHERE user_id = :u AND data->>'kind' = 'alarm'",
        u=officer.id,
    )
    assert pushed == 1
    due = await _scalar(world, "SELECT remind_at FROM alarms WHERE id = :id", id=flood.id)
    assert due is not None


async def test_the_task_sends_due_reminders(world: World, running: AlertsTask) -> None:
    officer = await world.person(Role.OFFICER, WARD_A)
    flood = await world.alarm(severity=Severity.CRITICAL)
    async with world.sessions() as session:
        await session.execute(
            text("UPDATE alarms SET remind_at = now() - interval '1 second' WHERE id = :id"), {"id": flood.id}
        )
        # Any committed timeline entry wakes the task; here one of another alarm.
        other = await world.alarm(severity=Severity.WARNING)
        await record(session, other)
        await session.commit()

    async def reminded() -> bool:
        found = await _scalar(
            world,
            "SELECT count(*) FROM alarm_timeline WHERE alarm_id = :id AND kind = 'reminded'",
            id=flood.id,
        )
        return bool(found)

    await eventually(reminded, "the due reminder", seconds=10)
    reasons = await _scalar(
        world,
        "SELECT array_agg(data->>'reason') FROM notifications WHERE user_id = :u AND data->>'kind' = 'alarm'",
        u=officer.id,
    )
    assert reasons == ["reminder"]


async def test_two_workers_send_a_reminder_once(world: World, settings: Settings) -> None:
    """Two workers' transactions at once on their own connections: the second skips the alarm the first
    holds, and once the first committed the alarm is no longer due."""
    flood = await world.alarm(severity=Severity.CRITICAL)
    async with world.sessions() as setup:
        await setup.execute(
            text("UPDATE alarms SET remind_at = now() - interval '1 second' WHERE id = :id"), {"id": flood.id}
        )
        await setup.commit()
    now = datetime.now(UTC)
    async with world.sessions() as first, first.begin():
        assert await remind_due(first, settings, now=now) == 1
        async with world.sessions() as second, second.begin():
            assert await remind_due(second, settings, now=now) == 0
    async with world.sessions() as third, third.begin():
        assert await remind_due(third, settings, now=now) == 0
    count = await _scalar(
        world, "SELECT count(*) FROM alarm_timeline WHERE alarm_id = :id AND kind = 'reminded'", id=flood.id
    )
    assert count == 1
