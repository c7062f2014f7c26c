"""The states a hook keeps in memory between batches: trusted while the device's stamp stays where the hook
left it, loaded again when another consumer, the tick or an officer moved it, and never changed by a batch
that did not commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import raw_connection
from ioc.rules.repository import states
from iot.ingest.hooks import StoredBatch
from tests.ioc.rules.engine_support import at, below
from tests.ioc.rules.evaluation_support import (
    a_hook,
    alarms,
    clear_by_hand,
    reading,
    rows,
    rule_and_device,
    run,
    state_of,
    tick,
)
from tests.support.alarms import FLOOD_RULE

HELD_FLOOD: dict[str, Any] = {
    **FLOOD_RULE,
    "for_seconds": 90,
    "clear": {"condition": below(20), "for_seconds": 0},
}


async def stamp_of(session: AsyncSession, device_id: Any) -> int | None:
    found = await rows(session, "SELECT stamp FROM alert_device_stamps WHERE device_id = :id", id=device_id)
    return found[0].stamp if found else None


async def test_every_write_of_a_devices_states_moves_its_stamp(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, HELD_FLOOD)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    assert await stamp_of(session, device.id) == 1
    # Still held, nothing new to write: the stamp stays.
    await run(session, hook, [reading(device.id, 1, level_cm=36)])
    assert await stamp_of(session, device.id) == 1
    # The tick reaches the hold: its write moves the stamp too.
    await tick(session, at(90))
    assert len(await alarms(session, version.rule_id)) == 1
    assert await stamp_of(session, device.id) == 2


async def test_a_hook_sees_what_another_consumer_wrote_meanwhile(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, HELD_FLOOD)
    one, other = a_hook(), a_hook()
    # One starts the hold and keeps the state; the other sees the hold through, raises.
    await run(session, one, [reading(device.id, 0, level_cm=35)])
    await run(session, other, [reading(device.id, 100, level_cm=40)])
    [raised] = await alarms(session, version.rule_id)
    # One's copy is out of date: it must repeat the other's alarm, not start a hold of its own.
    await run(session, one, [reading(device.id, 110, level_cm=41)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.id, alarm.count) == (raised.id, 2)
    # The easing, seen by one, clears it; the other's copy (an active alarm) is out of date in turn.
    await run(session, one, [reading(device.id, 120, level_cm=10)])
    await run(session, other, [reading(device.id, 130, level_cm=45)])
    [cleared] = await alarms(session, version.rule_id)
    assert (cleared.id, cleared.clear_reason, cleared.count) == (raised.id, "rule", 2)
    state = await state_of(session, version.rule_id, str(device.id))
    # A new hold from 130, no alarm: not a repeat of the cleared one.
    assert (state.alarm_id, state.held_since) == (None, at(130))


async def test_a_kept_state_sees_an_officers_clear(units: AsyncSession) -> None:
    session = units
    rule = {**HELD_FLOOD, "for_seconds": 0}
    version, device = await rule_and_device(session, rule)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    [alarm] = await alarms(session, version.rule_id)
    before = await stamp_of(session, device.id)
    await clear_by_hand(session, alarm.id)
    assert await stamp_of(session, device.id) == (before or 0) + 1
    await run(session, hook, [reading(device.id, 60, level_cm=40)])
    [still] = await alarms(session, version.rule_id)
    # The officer's clear stands: no repeat on the cleared alarm, and the rule waits for the easing.
    assert (still.id, still.count, still.clear_reason) == (alarm.id, 1, "officer")
    state = await state_of(session, version.rule_id, str(device.id))
    assert (state.alarm_id, state.memory.get("wait")) == (None, True)


async def test_a_batch_that_did_not_commit_leaves_the_copy_as_it_was(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, {**HELD_FLOOD, "for_seconds": 0})
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=10)])
    connection = await raw_connection(session)
    # A batch raising an alarm, rolled back: its after-commit step never runs.
    await connection.execute("SAVEPOINT batch")
    after = await hook(connection, StoredBatch([reading(device.id, 60, level_cm=40)], []))
    assert after is not None
    assert len(await alarms(session, version.rule_id)) == 1
    await connection.execute("ROLLBACK TO SAVEPOINT batch")
    assert await alarms(session, version.rule_id) == []
    # The copy still says "no alarm", as the database does: the next qualifying reading raises.
    await run(session, hook, [reading(device.id, 120, level_cm=41)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.raised_at, alarm.count) == (at(120), 1)


async def test_the_tick_locks_the_devices_it_acts_on(units: AsyncSession) -> None:
    session = units
    _, device = await rule_and_device(session, HELD_FLOOD)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35)])
    connection = await raw_connection(session)
    due = await states.lock_due(connection, at(90), 10)
    assert [loaded.source_key for loaded in due] == [str(device.id)]
    locked = await connection.fetch(
        "SELECT locktype, mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relname = 'device_state' AND l.mode = 'RowShareLock'"
    )
    assert locked
