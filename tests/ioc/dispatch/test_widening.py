"""The dispatch task: rings widen when all declined or nobody answered in time, escalate after the last ring,
and dispatches of alarms that no longer need anyone are withdrawn; stale positions are erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from core.identity.principal import Role
from ioc.alarms import events, journal
from ioc.types import Severity
from tests.ioc.dispatch.helpers import WARD, World


async def _decline_all(world: World, alarm_id: object) -> None:
    await world.session.execute(
        text(
            "UPDATE dispatch_offers SET answer = 'declined', answered_at = now() "
            "WHERE alarm_id = :a AND answer IS NULL"
        ),
        {"a": alarm_id},
    )


async def test_a_ring_all_declined_widens_to_the_next_nearest(world: World) -> None:
    ring_one = [await world.staff(m) for m in (100, 200, 300)]
    ring_two = [await world.staff(m) for m in (1200, 1500)]
    alarm = await world.alarm()
    await world.react()
    assert await world.offered_to(alarm.id) == {w.id for w in ring_one}

    # Nothing is due while offers wait and the ring's time is not up.
    result = await world.tick()
    assert result.dispatches_moved == 0
    await _decline_all(world, alarm.id)
    result = await world.tick()

    assert result.dispatches_moved == 1
    assert await world.offered_to(alarm.id) == {w.id for w in ring_two}
    assert {o.ring for o in await world.offers(alarm.id) if o.answer is None} == {2}
    for worker in ring_two:
        assert len(await world.pushes(worker.id, "dispatch_offer")) == 1
    offered = await world.events(alarm.id, events.DISPATCH_OFFERED)
    assert [e.data["change"] for e in offered] == [{"offered_to": 3, "ring": 1}, {"offered_to": 2, "ring": 2}]
    [dispatch] = await world.dispatches(alarm.id)
    assert (dispatch.status, dispatch.ring) == ("open", 2)


async def test_silence_for_the_answer_time_widens_and_earlier_offers_stay_open(world: World) -> None:
    near = await world.staff(100)
    further = await world.staff(1500)
    alarm = await world.alarm()
    await world.react()

    assert (await world.tick(datetime.now(UTC) + timedelta(seconds=100))).dispatches_moved == 0
    await world.tick(datetime.now(UTC) + timedelta(seconds=121))

    assert await world.offered_to(alarm.id) == {near.id, further.id}


async def test_after_the_last_ring_the_units_officers_are_told(world: World) -> None:
    officer = await world.person(Role.OFFICER, WARD)
    worker = await world.staff(100)
    alarm = await world.alarm(Severity.CRITICAL)
    await world.react()
    later = datetime.now(UTC) + timedelta(seconds=121)

    # Rings 2 and 3 find nobody new: the task goes straight to the officers.
    await world.tick(later)

    [dispatch] = await world.dispatches(alarm.id)
    assert dispatch.status == "escalated"
    assert await world.offered_to(alarm.id, answer="expired") == {worker.id}
    [pushed] = await world.pushes(officer.id, "dispatch_escalated")
    assert pushed.high_priority
    assert pushed.data == {
        "kind": "dispatch_escalated",
        "alarm_id": str(alarm.id),
        "severity": "critical",
        "type": "flood",
    }
    [entry] = await world.timeline(alarm.id, journal.DISPATCH_ESCALATED)
    assert entry.detail["rings"] == 3
    [event] = await world.events(alarm.id, events.UPDATED)
    assert event.data["change"] == {"dispatch": "escalated"}
    # Nothing more happens to an escalated dispatch.
    assert (await world.tick(later + timedelta(seconds=600))).dispatches_moved == 0
    assert len(await world.pushes(officer.id)) == 1


async def test_a_cleared_alarm_withdraws_its_open_offers(world: World) -> None:
    workers = [await world.staff(m) for m in (100, 200)]
    alarm = await world.alarm()
    await world.react()
    await world.clear(alarm.id, "officer")

    await world.tick()

    [dispatch] = await world.dispatches(alarm.id)
    assert dispatch.status == "cancelled"
    assert await world.offered_to(alarm.id, answer="withdrawn") == {w.id for w in workers}
    for worker in workers:
        [pushed] = await world.pushes(worker.id, "dispatch_withdrawn")
        assert pushed.data["alarm_id"] == str(alarm.id)


async def test_an_alarm_an_officer_assigned_withdraws_the_offers(world: World) -> None:
    worker = await world.staff(100)
    chosen = await world.staff(2500)
    alarm = await world.alarm()
    await world.react()
    await world.assign(alarm.id, chosen.id)

    await world.tick()

    assert await world.offered_to(alarm.id, answer="withdrawn") == {worker.id}
    assert len(await world.pushes(worker.id, "dispatch_withdrawn")) == 1


async def test_stale_positions_are_erased(world: World) -> None:
    fresh = await world.staff(100)
    stale = await world.staff(200, recorded_at=datetime.now(UTC) - timedelta(minutes=10))

    result = await world.tick(datetime.now(UTC) + timedelta(minutes=6))

    assert result.positions_purged == 1
    rows = {
        row.user_id: row
        for row in await world.rows(
            "SELECT user_id, on_duty, position, accuracy_m, position_at, updated_at FROM field_staff_status"
        )
    }
    assert rows[fresh.id].on_duty
    assert rows[fresh.id].position is not None
    gone = rows[stale.id]
    assert (gone.on_duty, gone.position, gone.accuracy_m, gone.position_at) == (False, None, None, None)
    assert gone.updated_at is not None
