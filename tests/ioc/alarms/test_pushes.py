"""The officers' reaction to new and escalated alarms: who gets a push (the unit's threshold, each officer's
preferences, critical always), what it says, and the reminder clock it starts; end to end through the real
firebase-admin client against the FCM fake."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from core.identity.principal import Role
from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.preferences import Preferences, change_preferences
from ioc.alarms.reaction import alert_officers
from ioc.alarms.reactions import react_once
from ioc.install import install
from ioc.types import Severity
from tests.ioc.alarms.conftest import OTHER_WARD, PROVINCE, WARD, AlarmFactory, Phones
from tests.ioc.alarms.support import (
    entries,
    escalate,
    phone,
    pushes_to,
    react,
    record,
    remind_at,
    unit_settings,
)
from tests.support.people import PersonFactory


async def test_a_major_alarm_reaches_the_officers_phone_and_a_minor_one_does_not(
    phones: Phones, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    token = await phone(session, officer.id)
    major = await alarm(severity=Severity.MAJOR)
    minor = await alarm(severity=Severity.MINOR)
    await record(session, major)
    await record(session, minor)
    assert await react(session, phones.settings) == 2
    await session.commit()

    report = await phones.deliver()

    assert report.sent == 1
    [sent] = phones.fake.sends_to(token)
    message = sent.body["message"]
    assert message["data"] == {
        "kind": "alarm",
        "alarm_id": str(major.id),
        "severity": "major",
        "type": "flood",
        "reason": "raised",
    }
    assert message["notification"]["title"] == f"Cảnh báo mới: {major.title_vi}"
    assert "cao" in message["notification"]["body"]
    assert message["android"] == {"priority": "high"}
    # Both entries reacted to, and neither waits any more.
    for each in (major, minor):
        assert [entry.reacted_at is not None for entry in await entries(session, each.id)] == [True]


async def test_the_unit_threshold_and_who_covers_the_unit(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    ward_officer = await person(Role.OFFICER, WARD)
    province_officer = await person(Role.OFFICER, PROVINCE)
    elsewhere = await person(Role.OFFICER, OTHER_WARD)
    worker = await person(Role.FIELD_STAFF, WARD)
    await unit_settings(session, WARD, push_from="warning")
    warning = await alarm(severity=Severity.WARNING)
    await record(session, warning)
    await react(session, settings)
    for officer in (ward_officer, province_officer):
        [push] = await pushes_to(session, officer.id)
        assert push.data["alarm_id"] == str(warning.id)
        assert push.high_priority is False  # below major it does not wake the phone
        assert push.title_en == f"New alarm: {warning.title_en}"
    # Officers of another ward, and field staff (dispatch is theirs), get nothing from this reaction.
    assert await pushes_to(session, elsewhere.id) == []
    assert await pushes_to(session, worker.id) == []


async def test_quiet_hours_let_only_criticals_through(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    sleeping = await person(Role.OFFICER, WARD)
    awake = await person(Role.OFFICER, WARD)
    local = datetime.now(UTC).astimezone(LOCAL_ZONE)
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    await change_preferences(session, sleeping.id, Preferences(quiet_start=start, quiet_end=end))
    major = await alarm(severity=Severity.MAJOR)
    critical = await alarm(severity=Severity.CRITICAL)
    await record(session, major)
    await record(session, critical)
    await react(session, settings)
    assert [p.data["alarm_id"] for p in await pushes_to(session, sleeping.id)] == [str(critical.id)]
    assert sorted(p.data["alarm_id"] for p in await pushes_to(session, awake.id)) == sorted(
        [str(major.id), str(critical.id)]
    )


async def test_types_and_minimum_severity_preferences(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    fires_only = await person(Role.OFFICER, WARD)
    critical_only = await person(Role.OFFICER, WARD)
    await change_preferences(session, fires_only.id, Preferences(alarm_types=frozenset({"fire"})))
    await change_preferences(session, critical_only.id, Preferences(min_severity=Severity.CRITICAL))
    flood = await alarm(severity=Severity.MAJOR)
    await record(session, flood)
    await react(session, settings)
    assert await pushes_to(session, fires_only.id) == []
    assert await pushes_to(session, critical_only.id) == []
    worse = await alarm(severity=Severity.CRITICAL)
    await record(session, worse)
    await react(session, settings)
    assert len(await pushes_to(session, fires_only.id)) == 1
    assert len(await pushes_to(session, critical_only.id)) == 1


async def test_escalation_pushes_and_a_step_down_does_not(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    flood = await alarm(severity=Severity.WARNING)
    await record(session, flood)
    await react(session, settings)
    assert await pushes_to(session, officer.id) == []  # below the default threshold (major)
    assert await remind_at(session, flood.id) is None  # warnings do not remind by default

    await escalate(session, flood, Severity.CRITICAL)
    await react(session, settings)
    [push] = await pushes_to(session, officer.id)
    assert push.data["reason"] == "escalated"
    assert push.data["severity"] == "critical"
    assert push.body_vi.startswith("Mức độ từ lưu ý lên nghiêm trọng")
    due = await remind_at(session, flood.id)
    assert due is not None
    assert timedelta(seconds=290) < due - datetime.now(UTC) <= timedelta(seconds=300)

    await escalate(session, flood, Severity.MAJOR)
    await react(session, settings)
    assert len(await pushes_to(session, officer.id)) == 1  # a step down is not pushed
    due = await remind_at(session, flood.id)
    assert timedelta(seconds=890) < due - datetime.now(UTC) <= timedelta(seconds=900)  # major's cadence


async def test_an_alarm_acknowledged_before_its_reaction_is_not_pushed(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    flood = await alarm(severity=Severity.CRITICAL)
    await record(session, flood)
    await session.execute(
        text("UPDATE alarms SET status = 'active_acknowledged', acknowledged_at = now() WHERE id = :id"),
        {"id": flood.id},
    )
    await react(session, settings)
    assert await pushes_to(session, officer.id) == []
    assert await remind_at(session, flood.id) is None


async def test_a_failing_reaction_does_not_block_the_queue(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    from ioc.alarms import reactions
    from ioc.alarms.repository.journal import PendingEntry

    officer = await person(Role.OFFICER, WARD)
    bad = await alarm(severity=Severity.CRITICAL)
    good = await alarm(severity=Severity.CRITICAL)
    await record(session, bad)
    await record(session, good)

    async def broken(session: AsyncSession, settings: Settings, batch: list[PendingEntry]) -> None:
        await session.execute(text("UPDATE alarms SET count = count + 1 WHERE id = :id"), {"id": good.id})
        if any(entry.alarm_id == bad.id for entry in batch):
            raise RuntimeError("a bug in one reaction")

    # The officers' reaction first, then the broken one (another reaction registered by a wrong part).
    install()
    reactions.register_reaction(broken)
    try:
        assert await react_once(session, settings, only=[alert_officers, broken]) == 2
    finally:
        reactions._REACTIONS.remove(broken)
    # The other reaction still pushed both; the broken one's work on the bad entry was rolled back.
    assert sorted(p.data["alarm_id"] for p in await pushes_to(session, officer.id)) == sorted(
        [str(bad.id), str(good.id)]
    )
    assert await session.scalar(text("SELECT count FROM alarms WHERE id = :id"), {"id": good.id}) == 2
    for each in (bad, good):
        assert [entry.reacted_at is not None for entry in await entries(session, each.id)] == [True]
    assert await react_once(session, settings) == 0


async def test_only_raised_and_severity_changes_are_pushed(
    session: AsyncSession, settings: Settings, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    flood = await alarm(severity=Severity.CRITICAL)
    await record(session, flood, journal.REPEATED)
    await react(session, settings)
    assert await pushes_to(session, officer.id) == []


def test_quiet_window_helper_is_minute_precise() -> None:
    assert Preferences(quiet_start=time(0, 0), quiet_end=time(0, 1)).quiet_at(
        datetime(2026, 1, 1, 17, 0, 30, tzinfo=UTC)  # 00:00:30 in Vietnam
    )
