"""The batch hook on the database: alarms, their timeline and events, states, repeats, clearing, scopes,
and an officer's clear, on the test session's connection (rolled back afterwards)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.ioc.rules.engine_support import above, at, below, camera_rule, telemetry
from tests.ioc.rules.evaluation_support import (
    a_hook,
    alarms,
    an_admin,
    clear_by_hand,
    detection,
    entries,
    events,
    reading,
    rule_and_device,
    run,
    state_of,
    timeline,
)
from tests.support.alarms import FLOOD_RULE, NAM_DINH, make_device, make_rule

IMMEDIATE_FLOOD: dict[str, Any] = {
    **FLOOD_RULE,
    "clear": {"condition": below(20), "for_seconds": 0},
}


async def test_a_qualifying_reading_raises_one_alarm_with_its_entry_event_and_state(
    units: AsyncSession,
) -> None:
    session = units
    version, device = await rule_and_device(session)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.severity, alarm.status, alarm.count) == ("warning", "active_unacknowledged", 1)
    assert (alarm.unit_code, alarm.source_key, alarm.device_id) == ("13666", str(device.id), device.id)
    assert (alarm.title_vi, alarm.title_en) == ("Ngập đường", "Street flooding")
    assert (round(alarm.lon, 4), round(alarm.lat, 4)) == NAM_DINH
    assert alarm.details["values"] == {"level_cm": 35}
    assert alarm.raised_at == at(0)
    [entry] = await entries(session, alarm.id)
    assert (entry.kind, entry.severity, entry.status, entry.reacted_at) == (
        "raised",
        "warning",
        "active_unacknowledged",
        None,
    )
    [event] = await events(session, alarm.id)
    assert (event.type, event.unit_code) == ("alerts.raised", "13666")
    assert event.data["alarm"]["alarm_id"] == str(alarm.id)
    assert event.data["alarm"]["severity"] == "warning"
    assert (round(event.lon, 4), round(event.lat, 4)) == NAM_DINH
    state = await state_of(session, version.rule_id, str(device.id))
    assert (state.alarm_id, state.severity, state.rule_version) == (alarm.id, "warning", 1)


async def test_repeats_count_and_are_told_only_at_milestones(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    # Two batches of repeats: one with a single reading, one with three.
    await run(session, hook, [reading(device.id, 60, level_cm=36)])
    await run(session, hook, [reading(device.id, s, level_cm=37) for s in (120, 180, 240)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.count, alarm.last_seen_at) == (5, at(240))
    assert alarm.details["latest"]["values"] == {"level_cm": 37}
    # Entries at counts 2 and 5 only: the wall is not told of every reading.
    assert await timeline(session, alarm.id) == ["raised", "repeated", "repeated"]
    assert [e.type for e in await events(session, alarm.id)] == [
        "alerts.raised",
        "alerts.updated",
        "alerts.updated",
    ]


async def test_the_clearing_condition_clears_the_alarm_and_a_new_one_can_follow(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, IMMEDIATE_FLOOD)
    # Raised, cleared and raised again within one batch: two alarms, the first cleared.
    await run(
        session, a_hook(), [reading(device.id, s, level_cm=v) for s, v in ((0, 35), (60, 10), (120, 40))]
    )
    first, second = await alarms(session, version.rule_id)
    assert (first.status, first.clear_reason, first.cleared_at) == ("cleared_unacknowledged", "rule", at(60))
    assert second.status == "active_unacknowledged"
    assert await timeline(session, first.id) == ["raised", "cleared"]
    assert [e.type for e in await events(session, first.id)] == ["alerts.raised", "alerts.cleared"]
    cleared = (await events(session, first.id))[1]
    assert cleared.data["change"] == {"by": "rule", "reason": "condition"}
    assert cleared.data["alarm"]["status"] == "cleared_unacknowledged"
    state = await state_of(session, version.rule_id, str(device.id))
    assert state.alarm_id == second.id


async def test_escalation_is_a_severity_change(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    # Readings every two minutes (within the sensor's liveness window): the hold goes on for ten minutes.
    await run(session, hook, [reading(device.id, s, level_cm=35) for s in range(120, 601, 120)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.severity, alarm.count) == ("critical", 6)
    kinds = [(e.kind, e.severity) for e in await entries(session, alarm.id)]
    assert kinds == [("raised", "warning"), ("severity_changed", "critical"), ("repeated", "critical")]
    changed = (await events(session, alarm.id))[1]
    assert changed.type == "alerts.updated"
    assert changed.data["change"]["severity_from"] == "warning"
    assert changed.data["alarm"]["severity"] == "critical"


async def test_after_an_officer_cleared_it_the_condition_must_ease_first(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, IMMEDIATE_FLOOD)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    [alarm] = await alarms(session, version.rule_id)
    await clear_by_hand(session, alarm.id)
    await run(session, hook, [reading(device.id, 60, level_cm=40)])
    [still] = await alarms(session, version.rule_id)
    assert (still.id, still.count, still.clear_reason) == (alarm.id, 1, "officer")
    state = await state_of(session, version.rule_id, str(device.id))
    assert state.alarm_id is None
    assert state.memory["wait"] is True
    await run(session, hook, [reading(device.id, 120, level_cm=25), reading(device.id, 180, level_cm=45)])
    old, new = await alarms(session, version.rule_id)
    assert old.id == alarm.id
    assert (new.status, new.raised_at) == ("active_unacknowledged", at(180))


async def test_a_device_no_rule_watches_costs_nothing(units: AsyncSession) -> None:
    session = units
    version, noise = await rule_and_device(session, type_="noise")
    hook = a_hook()
    await run(session, hook, [reading(noise.id, 0, laeq_db=99)])
    assert await alarms(session, version.rule_id) == []
    assert noise.id not in hook.catalogue.watches
    assert await state_of(session, version.rule_id, str(noise.id)) is None


async def test_an_idle_pair_writes_no_state(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session)
    await run(session, a_hook(), [reading(device.id, 0, level_cm=5), reading(device.id, 60, level_cm=6)])
    assert await state_of(session, version.rule_id, str(device.id)) is None


async def test_scope_by_unit_province_and_zone(units: AsyncSession) -> None:
    session = units
    admin = await an_admin(session)
    by_ward = await make_rule(session, admin, {**FLOOD_RULE, "scope": {"unit_codes": ["13684"]}})
    by_province = await make_rule(session, admin, {**FLOOD_RULE, "scope": {"unit_codes": ["37"]}})
    zoned = await make_rule(session, admin, {**FLOOD_RULE, "scope": {}})
    lon, lat = NAM_DINH
    square = f"SRID=4326;POLYGON(({lon - 0.01} {lat - 0.01}, {lon + 0.01} {lat - 0.01}, {lon + 0.01} {lat + 0.01}, {lon - 0.01} {lat + 0.01}, {lon - 0.01} {lat - 0.01}))"  # noqa: E501
    await session.execute(
        text("UPDATE alert_rule_versions SET zone = ST_GeomFromEWKT(:zone) WHERE rule_id = :rule"),
        {"zone": square, "rule": zoned.rule_id},
    )
    inside = await make_device(session)
    outside = await make_device(session, lon=lon + 0.05, lat=lat + 0.05)
    await run(session, a_hook(), [reading(inside.id, 0, level_cm=35), reading(outside.id, 0, level_cm=35)])
    assert await alarms(session, by_ward.rule_id) == []
    assert {a.device_id for a in await alarms(session, by_province.rule_id)} == {inside.id, outside.id}
    assert [a.device_id for a in await alarms(session, zoned.rule_id)] == [inside.id]


async def test_a_rule_changed_between_batches_is_seen(units: AsyncSession) -> None:
    session = units
    admin = await an_admin(session)
    device = await make_device(session)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    version = await make_rule(session, admin)
    await session.execute(text("UPDATE alert_rules SET updated_at = now() + interval '1 second'"))
    await run(session, hook, [reading(device.id, 60, level_cm=35)])
    assert len(await alarms(session, version.rule_id)) == 1
    await session.execute(
        text(
            "UPDATE alert_rules SET enabled = false, updated_at = now() + interval '2 seconds' WHERE id = :id"
        ),
        {"id": version.rule_id},
    )
    await run(session, hook, [reading(device.id, 120, level_cm=35)])
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.count == 1  # a disabled rule says nothing more


async def test_camera_detections(units: AsyncSession) -> None:
    session = units
    fire_rule = camera_rule(name="Cháy / Fire", severities=[{"severity": "critical"}])
    version, camera = await rule_and_device(session, fire_rule, type_="camera_security")
    await run(
        session,
        a_hook(),
        detections=[
            detection(camera.id, 0, "crowd"),
            detection(camera.id, 5),
            detection(camera.id, 9, "smoke"),
        ],
    )
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.severity, alarm.count, alarm.title_en) == ("critical", 2, "Fire")
    assert alarm.details["detection"] == "fire"
    assert alarm.details["confidence"] == 0.9
    state = await state_of(session, version.rule_id, str(camera.id))
    assert state.due_at == at(309)


async def test_an_unknown_active_alarm_is_repeated_not_doubled(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session)
    # An active alarm of this rule and device that no state names (as one raised before the states).
    await session.execute(
        text(
            "INSERT INTO alarms (rule_id, rule_version, source_kind, source_key, device_id, unit_code, "
            "type, severity, status, title_vi, title_en) VALUES (:rule, 1, 'device', :key, :device, "
            "'13666', 'flood', 'warning', 'active_unacknowledged', 't', 't')"
        ),
        {"rule": version.rule_id, "key": str(device.id), "device": device.id},
    )
    await run(session, a_hook(), [reading(device.id, 0, level_cm=35)])
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.count == 2
    state = await state_of(session, version.rule_id, str(device.id))
    assert state.alarm_id == alarm.id


async def test_a_telemetry_rule_reading_several_metrics(units: AsyncSession) -> None:
    session = units
    both = telemetry({"all": [above(30), {"metric": "rain_mm", "op": ">", "value": 5}]})
    version = await make_rule(
        session, await an_admin(session), {**both, "scope": {"device_types": ["water_level"]}}
    )
    device = await make_device(session)
    hook = a_hook()
    await run(session, hook, [reading(device.id, 0, level_cm=35)])
    assert await alarms(session, version.rule_id) == []
    await run(session, hook, [reading(device.id, 60, rain_mm=8)])
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.details["values"] == {"level_cm": 35, "rain_mm": 8}
