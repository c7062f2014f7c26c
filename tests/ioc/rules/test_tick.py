"""The worker's tick: time alone raises (a hold reached), escalates and clears (absence), with the device
silent; driven with an explicit `now`, on the test session's connection."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ioc.rules.catalogue import Catalogue
from ioc.rules.tasks import tick_once
from tests.ioc.rules.engine_support import above, at, camera_rule, telemetry
from tests.ioc.rules.evaluation_support import (
    a_hook,
    alarms,
    an_admin,
    detection,
    events,
    reading,
    rule_and_device,
    run,
    state_of,
    tick,
    timeline,
)
from tests.support.alarms import make_device, make_rule


async def test_absence_clears_with_the_device_silent(units: AsyncSession) -> None:
    session = units
    rule = {**telemetry(above(30), clear={"absent_seconds": 300}), "scope": {"device_types": ["water_level"]}}
    version, device = await rule_and_device(session, rule)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35)])
    assert await tick(session, at(299)) == 0
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.status == "active_unacknowledged"
    assert await tick(session, at(300)) == 1
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.status, alarm.clear_reason, alarm.cleared_at) == ("cleared_unacknowledged", "rule", at(300))
    assert await timeline(session, alarm.id) == ["raised", "cleared"]
    cleared = (await events(session, alarm.id))[-1]
    assert (cleared.type, cleared.data["change"]["reason"]) == ("alerts.cleared", "absence")
    state = await state_of(session, version.rule_id, str(device.id))
    assert (state.alarm_id, state.due_at) == (None, None)
    # Nothing is due any more.
    assert await tick(session, at(3600)) == 0


async def test_repeats_within_the_slack_move_the_alarm_and_leave_the_state(units: AsyncSession) -> None:
    session = units
    rule = {**telemetry(above(30), clear={"absent_seconds": 600}), "scope": {"device_types": ["water_level"]}}
    version, device = await rule_and_device(session, rule)
    hook = a_hook()
    for seconds, level in ((0, 35), (5, 36), (10, 37)):
        await run(session, hook, [reading(device.id, seconds, level_cm=level)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.count, alarm.last_seen_at) == (3, at(10))
    assert alarm.details["latest"]["values"] == {"level_cm": 37}
    state = await state_of(session, version.rule_id, str(device.id))
    assert (state.alarm_id, state.last_true_at, state.due_at) == (alarm.id, at(0), at(600))
    # A water sensor's liveness window is 180 s: past a tenth of it the state moves, its clearing with it.
    await run(session, hook, [reading(device.id, 30, level_cm=36)])
    state = await state_of(session, version.rule_id, str(device.id))
    assert (state.last_true_at, state.due_at) == (at(30), at(630))
    assert await tick(session, at(629)) == 0
    assert await tick(session, at(630)) == 1
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.count, alarm.status, alarm.cleared_at) == (4, "cleared_unacknowledged", at(630))


async def test_a_hold_is_reached_and_escalates_between_readings(units: AsyncSession) -> None:
    session = units
    rule = {
        **telemetry(
            above(30),
            for_seconds=90,
            severities=[{"severity": "warning"}, {"severity": "major", "after_seconds": 150}],
        ),
        "scope": {"device_types": ["water_level"]},
    }
    version, device = await rule_and_device(session, rule)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35), reading(device.id, 60, level_cm=36)])
    assert await alarms(session, version.rule_id) == []
    await tick(session, at(90))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.severity, alarm.raised_at, alarm.count) == ("warning", at(90), 1)
    assert alarm.details["by"] == "time"
    await tick(session, at(150))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.severity, alarm.count) == ("major", 1)
    assert await timeline(session, alarm.id) == ["raised", "severity_changed"]


async def test_a_camera_alarm_clears_once_detections_stop(units: AsyncSession) -> None:
    session = units
    rule = camera_rule(
        name="Tai nạn / Accident",
        alarm_type="accident",
        detection_types=["accident"],
        min_confidence=0.5,
        cooldown_seconds=120,
    )
    version, camera = await rule_and_device(session, rule, type_="camera_traffic")
    await run(
        session,
        a_hook(),
        detections=[detection(camera.id, 0, "accident"), detection(camera.id, 30, "accident")],
    )
    await tick(session, at(149))
    assert (await alarms(session, version.rule_id))[0].status == "active_unacknowledged"
    await tick(session, at(150))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.status, alarm.count) == ("cleared_unacknowledged", 2)


async def test_a_disabled_rule_stops_being_due_and_leaves_its_alarm(units: AsyncSession) -> None:
    session = units
    rule = {**telemetry(above(30), clear={"absent_seconds": 60}), "scope": {"device_types": ["water_level"]}}
    version, device = await rule_and_device(session, rule)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35)])
    await session.execute(
        text("UPDATE alert_rules SET enabled = false WHERE id = :id"), {"id": version.rule_id}
    )
    assert await tick(session, at(600)) == 1
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.status == "active_unacknowledged"
    state = await state_of(session, version.rule_id, str(device.id))
    assert state.due_at is None
    assert await tick(session, at(700)) == 0


async def test_a_pass_takes_at_most_its_batch(units: AsyncSession) -> None:
    session = units
    rule = {**telemetry(above(30), clear={"absent_seconds": 60}), "scope": {"device_types": ["water_level"]}}
    version = await make_rule(session, await an_admin(session), rule)
    devices = [await make_device(session) for _ in range(3)]
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35) for device in devices])
    await session.flush()
    catalogue = Catalogue(0, devices=False)
    assert await tick_once(session, catalogue, at(60), 2) == 2
    assert await tick_once(session, catalogue, at(60), 2) == 1
    assert {a.status for a in await alarms(session, version.rule_id)} == {"cleared_unacknowledged"}
