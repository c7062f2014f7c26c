"""Reminders: an unacknowledged alarm is pushed again at its severity's cadence until someone acknowledges
it, and not after; no burst after an outage; a severity below the unit's threshold reminds without a push
(two workers at once: live/test_task.py)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.reminders import remind_due
from ioc.types import Severity
from tests.ioc.alarms.conftest import WARD, AlarmFactory, Phones
from tests.ioc.alarms.support import (
    entries,
    phone,
    pushes_to,
    react,
    record,
    remind_at,
    reminders_to,
    unit_settings,
)
from tests.support.people import PersonFactory


async def test_a_reminder_repeats_until_acknowledged_and_stops_after(
    phones: Phones,
    client: httpx.AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
    alarm: AlarmFactory,
) -> None:
    settings = phones.settings
    officer = await person(Role.OFFICER, WARD)
    token = await phone(session, officer.id)
    flood = await alarm(severity=Severity.CRITICAL)
    await record(session, flood)
    await react(session, settings)
    first_due = await remind_at(session, flood.id)
    assert first_due is not None
    assert len(await pushes_to(session, officer.id)) == 1  # the raise itself

    assert await remind_due(session, settings, now=first_due - timedelta(seconds=1)) == 0
    assert await remind_due(session, settings, now=first_due) == 1
    assert await remind_at(session, flood.id) == first_due + timedelta(seconds=300)
    assert await remind_due(session, settings, now=first_due) == 0  # moved on: not sent twice
    assert await remind_due(session, settings, now=first_due + timedelta(seconds=300)) == 1
    reminders = await reminders_to(session, officer.id)
    assert len(reminders) == 2
    assert reminders[0].title_en == f"Still unacknowledged: {flood.title_en}"
    assert reminders[0].high_priority is True
    reminded = [e for e in await entries(session, flood.id) if e.kind == journal.REMINDED]
    assert [e.detail["pushed_to"] for e in reminded] == [1, 1]
    events = await session.execute(
        text("SELECT type FROM event_outbox WHERE subject_id = :id ORDER BY id"), {"id": str(flood.id)}
    )
    assert [row.type for row in events] == ["alerts.raised", "alerts.reminder", "alerts.reminder"]

    await session.commit()
    await phones.deliver()
    reasons = sorted(sent.body["message"]["data"]["reason"] for sent in phones.fake.sends_to(token))
    assert reasons == ["raised", "reminder", "reminder"]

    acked = await client.post(f"/api/v1/alerts/{flood.id}/ack", headers=officer.headers)
    assert acked.status_code == 200
    assert await remind_at(session, flood.id) is None
    assert await remind_due(session, settings, now=first_due + timedelta(days=1)) == 0
    assert len(await reminders_to(session, officer.id)) == 2


async def test_after_an_outage_one_reminder_not_a_burst(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    flood = await alarm(severity=Severity.MAJOR)
    await record(session, flood)
    await react(session, settings)
    due = await remind_at(session, flood.id)
    late = due + timedelta(hours=2)
    assert await remind_due(session, settings, now=late) == 1
    assert await remind_at(session, flood.id) == late + timedelta(seconds=900)
    assert await remind_due(session, settings, now=late) == 0
    assert len(await reminders_to(session, officer.id)) == 1


async def test_a_severity_below_the_units_threshold_reminds_without_a_push(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    await unit_settings(session, WARD, push_from="critical", reminders={"minor": 60})
    minor = await alarm(severity=Severity.MINOR)
    await record(session, minor)
    await react(session, settings)
    due = await remind_at(session, minor.id)
    assert due is not None
    assert await remind_due(session, settings, now=due) == 1
    assert await pushes_to(session, officer.id) == []
    [reminded] = [e for e in await entries(session, minor.id) if e.kind == journal.REMINDED]
    assert reminded.detail["pushed_to"] == 0
    # The unit stops reminding minor alarms: the clock stops at the next due time.
    await unit_settings(session, WARD, push_from="critical")
    assert await remind_due(session, settings, now=due + timedelta(minutes=5)) == 1
    assert await remind_at(session, minor.id) is None
    assert len([e for e in await entries(session, minor.id) if e.kind == journal.REMINDED]) == 1
