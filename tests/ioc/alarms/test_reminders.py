"""Reminders: an unacknowledged alarm is pushed again at its severity's cadence until someone acknowledges
it, and not after; sent once even with two workers; no burst after an outage."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.principal import Role
from core.push.fcm import FcmSender
from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.reactions import react_once
from ioc.alarms.reminders import remind_due
from ioc.install import install
from ioc.types import Severity
from tests.core.push.conftest import Clock, make_dispatcher
from tests.core.push.fcm_fake import FcmFake
from tests.ioc.alarms.conftest import WARD, AlarmFactory
from tests.ioc.alarms.support import entries, phone, pushes_to, record, remind_at
from tests.support.people import PersonFactory


async def test_a_reminder_repeats_until_acknowledged_and_stops_after(
    fcm_settings: Settings,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    person: PersonFactory,
    alarm: AlarmFactory,
) -> None:
    install()
    officer = await person(Role.OFFICER, WARD)
    token = await phone(session, officer.id)
    flood = await alarm(severity=Severity.CRITICAL)
    await record(session, flood)
    await react_once(session, fcm_settings)
    first_due = await remind_at(session, flood.id)
    assert first_due is not None
    assert len(await pushes_to(session, officer.id)) == 1  # the raise itself

    assert await remind_due(session, fcm_settings, now=first_due - timedelta(seconds=1)) == 0
    assert await remind_due(session, fcm_settings, now=first_due) == 1
    assert await remind_at(session, flood.id) == first_due + timedelta(seconds=300)
    assert await remind_due(session, fcm_settings, now=first_due) == 0  # moved on: not sent twice
    assert await remind_due(session, fcm_settings, now=first_due + timedelta(seconds=300)) == 1
    reminders = [p for p in await pushes_to(session, officer.id) if p.data["reason"] == "reminder"]
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
    await make_dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()
    reasons = sorted(sent.body["message"]["data"]["reason"] for sent in fcm.sends_to(token))
    assert reasons == ["raised", "reminder", "reminder"]

    acked = await client.post(f"/api/v1/alerts/{flood.id}/ack", headers=officer.headers)
    assert acked.status_code == 200
    assert await remind_at(session, flood.id) is None
    assert await remind_due(session, fcm_settings, now=first_due + timedelta(days=1)) == 0
    assert len([p for p in await pushes_to(session, officer.id) if p.data["reason"] == "reminder"]) == 2


async def test_after_an_outage_one_reminder_not_a_burst(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    install()
    officer = await person(Role.OFFICER, WARD)
    flood = await alarm(severity=Severity.MAJOR)
    await record(session, flood)
    await react_once(session, settings)
    due = await remind_at(session, flood.id)
    late = due + timedelta(hours=2)
    assert await remind_due(session, settings, now=late) == 1
    assert await remind_at(session, flood.id) == late + timedelta(seconds=900)
    assert await remind_due(session, settings, now=late) == 0
    assert len([p for p in await pushes_to(session, officer.id) if p.data["reason"] == "reminder"]) == 1


async def test_a_severity_below_the_units_threshold_reminds_without_a_push(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    install()
    officer = await person(Role.OFFICER, WARD)
    await session.execute(
        text(
            "INSERT INTO unit_alert_settings (unit_code, push_min_severity, dispatch_min_severity, "
            "reminder_seconds) VALUES (:u, 'critical', 'critical', '{\"minor\": 60}')"
        ),
        {"u": WARD},
    )
    minor = await alarm(severity=Severity.MINOR)
    await record(session, minor)
    await react_once(session, settings)
    due = await remind_at(session, minor.id)
    assert due is not None
    assert await remind_due(session, settings, now=due) == 1
    assert await pushes_to(session, officer.id) == []
    [reminded] = [e for e in await entries(session, minor.id) if e.kind == journal.REMINDED]
    assert reminded.detail["pushed_to"] == 0
    # The unit stops reminding minor alarms: the clock stops at the next due time.
    await session.execute(
        text("UPDATE unit_alert_settings SET reminder_seconds = '{}' WHERE unit_code = :u"), {"u": WARD}
    )
    assert await remind_due(session, settings, now=due + timedelta(minutes=5)) == 1
    assert await remind_at(session, minor.id) is None
    assert len([e for e in await entries(session, minor.id) if e.kind == journal.REMINDED]) == 1
