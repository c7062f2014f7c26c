"""Offers: an alarm at or above its unit's dispatch severity is offered to the nearest available field staff
of the responsible unit, by push, with a timeline entry and a live event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ioc.alarms import events, journal
from ioc.alarms.repository.journal import facts_of
from ioc.types import Severity
from tests.ioc.dispatch.helpers import OTHER_WARD, PROVINCE, WARD, World


async def test_the_three_nearest_available_staff_of_the_unit_are_offered_the_alarm(world: World) -> None:
    first = await world.staff(100)
    second = await world.staff(200)
    of_province = await world.staff(300, unit_code=PROVINCE)
    fourth = await world.staff(400)
    off_duty = await world.staff(on_duty=False)
    far = await world.staff(3500)
    other_ward = await world.staff(50, unit_code=OTHER_WARD)
    alarm = await world.alarm(Severity.MAJOR)

    assert await world.react() == 1

    offers = await world.offers(alarm.id)
    assert [o.staff_id for o in offers] == [first.id, second.id, of_province.id]
    assert [o.ring for o in offers] == [1, 1, 1]
    assert [round(o.distance_m, -1) for o in offers] == [100, 200, 300]
    for offer in offers:
        [pushed] = await world.pushes(offer.staff_id, "dispatch_offer")
        assert pushed.high_priority
        assert pushed.data == {
            "kind": "dispatch_offer",
            "alarm_id": str(alarm.id),
            "offer_id": str(offer.id),
            "distance_m": str(round(offer.distance_m)),
            "severity": "major",
            "type": "flood",
        }
    for left_out in (fourth, off_duty, far, other_ward):
        assert await world.pushes(left_out.id) == []
    [entry] = await world.timeline(alarm.id, journal.DISPATCH_OFFERED)
    assert entry.detail["ring"] == 1
    assert len(entry.detail["offers"]) == 3
    [event] = await world.events(alarm.id, events.DISPATCH_OFFERED)
    assert event.data["change"] == {"offered_to": 3, "ring": 1}
    assert event.data["alarm"]["alarm_id"] == str(alarm.id)
    [dispatch] = await world.dispatches(alarm.id)
    assert (dispatch.status, dispatch.ring) == ("open", 1)


async def test_an_alarm_below_the_dispatch_severity_is_not_offered(world: World) -> None:
    worker = await world.staff(100)
    alarm = await world.alarm(Severity.MINOR)

    await world.react()

    assert await world.offers(alarm.id) == []
    assert await world.dispatches(alarm.id) == []
    assert await world.pushes(worker.id) == []


async def _unit_settings(world: World, unit_code: str, dispatch_min_severity: str) -> None:
    await world.session.execute(
        text(
            "INSERT INTO unit_alert_settings (unit_code, push_min_severity, dispatch_min_severity) "
            "VALUES (:u, 'major', :d)"
        ),
        {"u": unit_code, "d": dispatch_min_severity},
    )


async def test_the_ward_settings_then_the_province_settings_decide_the_severity(world: World) -> None:
    await world.staff(100)
    await _unit_settings(world, PROVINCE, "critical")
    major_in_province = await world.alarm(Severity.MAJOR)
    await world.react()
    assert await world.dispatches(major_in_province.id) == []

    await _unit_settings(world, WARD, "warning")
    warning_in_ward = await world.alarm(Severity.WARNING)
    await world.react()
    assert len(await world.offers(warning_in_ward.id)) == 1


async def test_a_severity_rising_to_the_threshold_starts_a_dispatch_once(world: World) -> None:
    worker = await world.staff(100)
    alarm = await world.alarm(Severity.MINOR)
    await world.react()
    assert await world.dispatches(alarm.id) == []

    await world.session.execute(text("UPDATE alarms SET severity = 'major' WHERE id = :a"), {"a": alarm.id})
    facts = await facts_of(world.session, alarm.id)
    assert facts is not None
    await journal.record(world.session, facts, kind=journal.SEVERITY_CHANGED, event_type=events.UPDATED)
    await journal.record(world.session, facts, kind=journal.SEVERITY_CHANGED, event_type=events.UPDATED)
    await world.react()
    await journal.record(world.session, facts, kind=journal.SEVERITY_CHANGED, event_type=events.UPDATED)
    await world.react()

    assert len(await world.dispatches(alarm.id)) == 1
    assert [o.staff_id for o in await world.offers(alarm.id)] == [worker.id]
    assert len(await world.pushes(worker.id, "dispatch_offer")) == 1


async def test_an_assigned_or_cleared_alarm_is_not_offered(world: World) -> None:
    worker = await world.staff(100)
    officer = await world.staff(500)
    assigned = await world.alarm(Severity.CRITICAL)
    await world.assign(assigned.id, officer.id)
    cleared = await world.alarm(Severity.CRITICAL)
    await world.clear(cleared.id)

    await world.react()

    assert await world.dispatches(assigned.id) == []
    assert await world.dispatches(cleared.id) == []
    assert await world.pushes(worker.id) == []


async def test_busy_and_stale_staff_are_not_offered(world: World) -> None:
    busy = await world.staff(100)
    stale = await world.staff(150, recorded_at=datetime.now(UTC) - timedelta(minutes=16))
    free = await world.staff(200)
    first = await world.alarm(Severity.MAJOR)
    await world.react()
    await world.session.execute(
        text(
            "INSERT INTO dispatches (alarm_id, status, ring, closed_at, accepted_by) "
            "VALUES (:a, 'accepted', 1, now(), :s)"
        ),
        {"a": first.id, "s": busy.id},
    )
    await world.session.execute(
        text(
            "UPDATE dispatches SET status = 'cancelled', closed_at = now() WHERE "
            "alarm_id = :a AND status = 'open'"
        ),
        {"a": first.id},
    )
    await world.assign(first.id, busy.id)

    second = await world.alarm(Severity.MAJOR)
    await world.react()

    assert await world.offered_to(second.id) == {free.id}
    assert stale.id not in await world.offered_to(first.id)


async def test_nobody_near_escalates_at_once_to_the_units_officers(world: World) -> None:
    from core.identity.principal import Role

    ward_officer = await world.person(Role.OFFICER, WARD)
    province_officer = await world.person(Role.OFFICER, PROVINCE)
    other_officer = await world.person(Role.OFFICER, OTHER_WARD)
    await world.staff(3500)
    alarm = await world.alarm(Severity.CRITICAL)

    await world.react()

    [dispatch] = await world.dispatches(alarm.id)
    assert dispatch.status == "escalated"
    for officer in (ward_officer, province_officer):
        [pushed] = await world.pushes(officer.id, "dispatch_escalated")
        assert pushed.high_priority
        assert pushed.data["alarm_id"] == str(alarm.id)
    assert await world.pushes(other_officer.id) == []
    assert len(await world.timeline(alarm.id, journal.DISPATCH_ESCALATED)) == 1
    [event] = [e for e in await world.events(alarm.id, events.UPDATED)]
    assert event.data["change"] == {"dispatch": "escalated"}
