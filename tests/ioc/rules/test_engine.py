"""The engine on telemetry rules: holds, AND/OR, the ladder, hysteresis, clearing, time, late readings and
new versions. Pure functions: no database."""

from __future__ import annotations

from typing import Any

from ioc.rules import engine
from ioc.rules.state import NOTHING, ActionKind, ClearReason
from tests.ioc.rules.engine_support import (
    FRESH,
    above,
    at,
    below,
    fresh,
    kinds,
    level,
    readings,
    rule,
    telemetry,
)

FLOOD = telemetry(above(30), clear={"condition": below(20), "for_seconds": 120})


def test_a_condition_must_hold_for_its_duration_before_raising() -> None:
    flood = rule(telemetry(above(30), for_seconds=120))
    state, actions = readings(flood, fresh(flood), [(0, level(35)), (60, level(40))])
    assert actions == []
    assert state.held_since == at(0)
    assert state.due_at == at(120)  # the tick may raise it before the next reading
    state, actions = readings(flood, state, [(120, level(38))])
    assert kinds(actions) == ["raise:warning"]
    assert actions[0].at == at(120)
    assert state.alarm_id == actions[0].alarm_id is not None


def test_a_break_in_the_hold_starts_it_again() -> None:
    flood = rule(telemetry(above(30), for_seconds=120))
    state, actions = readings(flood, fresh(flood), [(0, level(35)), (60, level(25)), (120, level(35))])
    assert actions == []
    assert state.held_since == at(120)
    _, actions = readings(flood, state, [(180, level(35)), (240, level(36))])
    assert kinds(actions) == ["raise:warning"]
    assert actions[0].at == at(240)


def test_a_gap_longer_than_the_liveness_window_breaks_the_hold() -> None:
    flood = rule(telemetry(above(30), for_seconds=300))
    state, _ = readings(flood, fresh(flood), [(0, level(35))])
    state, actions = readings(flood, state, [(FRESH + 1, level(35))])
    assert actions == []
    assert state.held_since == at(FRESH + 1)


def test_and_needs_every_part_and_values_merge_across_readings() -> None:
    both = rule(telemetry({"all": [above(30), {"metric": "rain_mm", "op": ">=", "value": 5}]}))
    # The level and the rain come in separate messages: the device's latest value of each counts.
    state, actions = readings(both, fresh(both), [(0, level(35)), (60, {"rain_mm": 2.0})])
    assert actions == []
    state, actions = readings(both, state, [(120, {"rain_mm": 6.0})], known={"level_cm": 35.0})
    assert kinds(actions) == ["raise:warning"]
    # Without the level known, the rain alone does not raise.
    _, actions = readings(both, fresh(both), [(120, {"rain_mm": 6.0})])
    assert actions == []


def test_or_needs_one_part() -> None:
    either = rule(telemetry({"any": [above(30), {"metric": "rain_mm", "op": ">=", "value": 50}]}))
    _, actions = readings(either, fresh(either), [(0, {"level_cm": 10.0, "rain_mm": 60.0})])
    assert kinds(actions) == ["raise:warning"]
    _, actions = readings(either, fresh(either), [(0, {"level_cm": 10.0, "rain_mm": 10.0})])
    assert actions == []


def test_nested_and_or() -> None:
    nested = rule(
        telemetry({"all": [above(30), {"any": [{"metric": "rain_mm", "op": ">", "value": 5}, above(50)]}]})
    )
    _, none = readings(nested, fresh(nested), [(0, {"level_cm": 40.0, "rain_mm": 1.0})])
    _, raised = readings(nested, fresh(nested), [(0, {"level_cm": 40.0, "rain_mm": 9.0})])
    _, deep = readings(nested, fresh(nested), [(0, {"level_cm": 60.0, "rain_mm": 0.0})])
    assert (none, kinds(raised), kinds(deep)) == ([], ["raise:warning"], ["raise:warning"])


def test_severity_escalates_while_the_condition_holds() -> None:
    ladder: list[dict[str, Any]] = [{"severity": "warning"}, {"severity": "critical", "after_seconds": 600}]
    flood = rule(telemetry(above(30), severities=ladder))
    series = [(seconds, level(40)) for seconds in range(0, 661, 60)]
    state, actions = readings(flood, fresh(flood), series)
    assert kinds(actions) == ["raise:warning"] + ["repeat"] * 9 + ["change:critical", "repeat"]
    change = actions[10]
    assert (change.previous, change.at, change.seen) == ("warning", at(600), True)
    assert state.severity == "critical"


def test_severity_steps_down_when_its_own_condition_eases() -> None:
    ladder: list[dict[str, Any]] = [{"severity": "warning"}, {"severity": "critical", "condition": above(50)}]
    flood = rule(telemetry(above(30), severities=ladder))
    state, actions = readings(flood, fresh(flood), [(0, level(60)), (60, level(40)), (120, level(55))])
    assert kinds(actions) == ["raise:critical", "change:warning", "change:critical"]
    assert state.severity == "critical"


def test_hysteresis_nothing_changes_between_the_thresholds() -> None:
    flood = rule(FLOOD)
    state, actions = readings(flood, fresh(flood), [(0, level(35)), (60, level(25)), (120, level(22))])
    assert kinds(actions) == ["raise:warning"]
    assert state.active
    # Below 20 for 120 s clears; a reading back in the band starts the clearing hold again.
    state, actions = readings(flood, state, [(180, level(15)), (240, level(24)), (300, level(15))])
    assert actions == []
    assert state.clear_since == at(300)
    assert state.due_at == at(420)
    state, actions = readings(flood, state, [(360, level(12)), (420, level(12))])
    assert kinds(actions) == ["clear"]
    assert actions[0].reason is ClearReason.CONDITION
    assert not state.active
    assert state.severity is None


def test_without_a_clearing_condition_it_clears_when_the_trigger_stops() -> None:
    flood = rule(telemetry(above(30)))
    state, actions = readings(flood, fresh(flood), [(0, level(35)), (60, level(31)), (120, level(29))])
    assert kinds(actions) == ["raise:warning", "repeat", "clear"]
    assert actions[-1].reason is ClearReason.TRIGGER_STOPPED
    # ... after the clearing duration, when one is given.
    slow = rule(telemetry(above(30), clear={"for_seconds": 120}))
    state, actions = readings(slow, fresh(slow), [(0, level(35)), (60, level(29)), (120, level(28))])
    assert kinds(actions) == ["raise:warning"]
    _, actions = readings(slow, state, [(180, level(28))])
    assert kinds(actions) == ["clear"]


def test_clearing_only_at_some_severities() -> None:
    ladder: list[dict[str, Any]] = [{"severity": "warning"}, {"severity": "critical", "condition": above(50)}]
    flood = rule(
        telemetry(above(30), severities=ladder, clear={"condition": below(20), "severities": ["warning"]})
    )
    # At warning it clears by itself.
    _, actions = readings(flood, fresh(flood), [(0, level(35)), (60, level(10))])
    assert kinds(actions) == ["raise:warning", "clear"]
    # At critical it does not: an officer must.
    state, actions = readings(flood, fresh(flood), [(0, level(60)), (60, level(10)), (120, level(5))])
    assert kinds(actions) == ["raise:critical"]
    assert state.active
    assert state.due_at is None


def test_absence_clears_by_time_with_the_device_silent() -> None:
    flood = rule(telemetry(above(30), clear={"absent_seconds": 300}))
    state, actions = readings(flood, fresh(flood), [(0, level(35))])
    assert kinds(actions) == ["raise:warning"]
    assert state.due_at == at(300)
    # No message at all: only time passes.
    early, nothing = engine.on_time(flood, state, at(299), fresh_for=FRESH)
    assert nothing is NOTHING
    assert early.active
    cleared, action = engine.on_time(flood, state, at(300), fresh_for=FRESH)
    assert action.kind is ActionKind.CLEAR
    assert action.reason is ClearReason.ABSENCE
    assert not cleared.active
    assert cleared.due_at is None


def test_absence_counts_from_the_last_time_the_trigger_was_seen() -> None:
    flood = rule(telemetry(above(30), clear={"absent_seconds": 300}))
    state, _ = readings(flood, fresh(flood), [(0, level(35)), (100, level(36)), (160, level(10))])
    assert state.active
    assert state.last_true_at == at(100)
    assert state.due_at == at(400)
    _, actions = readings(flood, state, [(400, level(10))])
    assert kinds(actions) == ["clear"]


def test_the_tick_reaches_a_hold_while_the_device_is_fresh() -> None:
    flood = rule(telemetry(above(30), for_seconds=90))
    state, _ = readings(flood, fresh(flood), [(0, level(35)), (60, level(35))])
    assert state.due_at == at(90)
    raised, action = engine.on_time(flood, state, at(90), fresh_for=FRESH)
    assert action.kind is ActionKind.RAISE
    assert (action.severity, action.at, raised.active) == ("warning", at(90), True)


def test_the_tick_assumes_nothing_of_a_stale_device() -> None:
    flood = rule(telemetry(above(30), for_seconds=600))
    state, _ = readings(flood, fresh(flood), [(0, level(35))])
    # The hold would be reached at 600, but the device's last reading is older than its window by then.
    assert state.due_at is None
    later, action = engine.on_time(flood, state, at(600), fresh_for=FRESH)
    assert action is NOTHING
    assert later.due_at is None


def test_the_tick_escalates_and_completes_a_clearing_hold() -> None:
    ladder: list[dict[str, Any]] = [{"severity": "warning"}, {"severity": "major", "after_seconds": 100}]
    flood = rule(telemetry(above(30), severities=ladder, clear={"condition": below(20), "for_seconds": 50}))
    state, _ = readings(flood, fresh(flood), [(0, level(35)), (60, level(35))])
    assert state.due_at == at(100)
    state, action = engine.on_time(flood, state, at(100), fresh_for=FRESH)
    assert (action.kind, action.severity, action.previous, action.seen) == (
        ActionKind.CHANGE,
        "major",
        "warning",
        False,
    )
    state, _ = readings(flood, state, [(120, level(10))])
    assert state.due_at == at(170)
    state, action = engine.on_time(flood, state, at(170), fresh_for=FRESH)
    assert action.kind is ActionKind.CLEAR
    assert action.reason is ClearReason.CONDITION


def test_a_late_reading_moves_no_hold_and_never_clears() -> None:
    flood = rule(telemetry(above(30), for_seconds=120))
    state, _ = readings(flood, fresh(flood), [(60, level(35)), (120, level(35))])
    # An older reading below the threshold, through another consumer: the hold goes on.
    state, actions = readings(flood, state, [(90, level(10))])
    assert actions == []
    assert state.held_since == at(60)
    assert state.last_ts == at(120)
    _, actions = readings(flood, state, [(180, level(35))])
    assert kinds(actions) == ["raise:warning"]
    # With an alarm active, a late qualifying reading repeats it, a late low one does not clear it.
    quick = rule(FLOOD)
    state, _ = readings(quick, fresh(quick), [(100, level(35))])
    state, actions = readings(quick, state, [(50, level(40)), (60, level(5)), (70, level(5))])
    assert kinds(actions) == ["repeat"]
    assert state.active
    assert state.clear_since is None


def test_a_late_reading_never_loses_an_alarm() -> None:
    # The newer, low reading was taken first; the older, high one arrives after it.
    flood = rule(FLOOD)
    state, actions = readings(flood, fresh(flood), [(60, level(25)), (30, level(45))])
    assert kinds(actions) == ["raise:warning"]
    assert actions[0].at == at(30)
    assert state.active
    assert state.last_ts == at(60)


def test_a_rate_of_change() -> None:
    rising = rule(telemetry({"metric": "pm25", "rises_by": 50, "within_seconds": 600}))
    state, actions = readings(rising, fresh(rising), [(0, {"pm25": 10.0}), (300, {"pm25": 40.0})])
    assert actions == []
    state, actions = readings(rising, state, [(540, {"pm25": 65.0})])
    assert kinds(actions) == ["raise:warning"]
    # Still within ten minutes of the low sample: a repeat. Once it has left the window, the rise is
    # gone, and the alarm clears.
    _, actions = readings(rising, state, [(580, {"pm25": 66.0}), (1150, {"pm25": 66.0})])
    assert kinds(actions) == ["repeat", "clear"]


def test_a_fall_within_a_window() -> None:
    falling = rule(telemetry({"metric": "level_cm", "falls_by": 20, "within_seconds": 300}))
    _, actions = readings(falling, fresh(falling), [(0, level(80)), (120, level(70)), (240, level(55))])
    assert kinds(actions) == ["raise:warning"]


def test_a_new_version_starts_holds_afresh_and_keeps_the_alarm() -> None:
    version_1 = rule(telemetry(above(30), for_seconds=120, clear={"condition": below(20)}))
    state, actions = readings(version_1, fresh(version_1), [(0, level(35)), (120, level(35))])
    assert kinds(actions) == ["raise:warning"]
    alarm = state.alarm_id
    version_2 = rule(
        telemetry(above(40), for_seconds=120, clear={"condition": below(20)}),
        version=2,
        rule_id=version_1.id,
    )
    state, actions = readings(version_2, state, [(180, level(45))])
    assert kinds(actions) == ["repeat"]
    assert (state.rule_version, state.alarm_id, state.held_since) == (2, alarm, at(180))
    # A hold under version 2 that had not been reached is forgotten, not carried over.
    waiting = rule(telemetry(above(30), for_seconds=300))
    state, _ = readings(waiting, fresh(waiting), [(0, level(35)), (240, level(35))])
    newer = rule(telemetry(above(30), for_seconds=300), version=2, rule_id=waiting.id)
    state, actions = readings(newer, state, [(300, level(35))])
    assert actions == []
    assert state.held_since == at(300)


def test_after_a_clear_by_hand_the_trigger_must_stop_first() -> None:
    flood = rule(telemetry(above(30)))
    state, _ = readings(flood, fresh(flood), [(0, level(35))])
    handled = engine.cleared_by_hand(flood, state)
    assert not handled.active
    handled, actions = readings(flood, handled, [(60, level(36)), (120, level(37))])
    assert actions == []
    _, actions = readings(flood, handled, [(180, level(25)), (240, level(35))])
    assert kinds(actions) == ["raise:warning"]


def test_an_idle_state_is_not_worth_a_write() -> None:
    flood = rule(FLOOD)
    start = fresh(flood)
    after, actions = readings(flood, start, [(0, level(10)), (60, level(12))])
    assert actions == []
    assert after.idle
    assert after.same_as(start)
    holding, _ = readings(flood, start, [(0, level(35))])
    assert not holding.same_as(start)
