"""Telemetry rules: a condition over a device's metrics, its hold, ladder, clearing and due moments.

The semantics are described in ioc.rules.engine. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from ioc.rules import rates
from ioc.rules.compiled import Compiled
from ioc.rules.definition import TelemetryRule
from ioc.rules.state import NOTHING, Action, ActionKind, ClearReason, State
from ioc.rules.transitions import (
    EVERY_STEP,
    absence_due,
    absent,
    clear,
    current,
    follow,
    ladder,
    raise_alarm,
)

NO_MOVES: Final[rates.Moves] = {}


def on_reading(
    rule: Compiled,
    state: State,
    ts: datetime,
    metrics: dict[str, float],
    fresh_for: float,
    known: dict[str, float] | None = None,
) -> tuple[State, Action]:
    """A telemetry rule and one reading of its device; `fresh_for` is the device's liveness window (s);
    `known` the device's latest value of each metric (device_state), which a rule reading several metrics
    uses for those the reading lacks."""
    definition = rule.definition
    assert isinstance(definition, TelemetryRule)
    s = current(rule, state)
    if s.last_ts is not None and ts < s.last_ts:
        return _late_reading(rule, definition, s, ts, values_of(rule, metrics, known), fresh_for)
    if s.last_ts is not None and (ts - s.last_ts).total_seconds() > fresh_for:
        s.held_since = None
        s.clear_since = None
    s.last_ts = ts
    values = values_of(rule, metrics, known)
    moves = NO_MOVES
    if rule.rates:
        epoch = ts.timestamp()
        series = dict(s.memory.get("s") or {})
        for metric, window in rule.windows.items():
            value = metrics.get(metric)
            if value is not None:
                rises, falls = rule.sides[metric]
                series[metric] = rates.add_sample(series.get(metric), epoch, value, window, rises, falls)
        s.memory["s"] = series
        moves = rates.moves(s.memory, rule.rates, rule.windows, epoch, values)
    assert rule.raising is not None
    raising = rule.raising(values, moves)
    if raising:
        if s.held_since is None:
            s.held_since = ts
        s.last_true_at = ts if s.last_true_at is None else max(s.last_true_at, ts)
        _remember_steps(rule, s, values, moves)
    else:
        s.held_since = None
        s.memory.pop("m", None)
    if s.alarm_id is not None and _clearing(rule, definition, raising, values, moves):
        if s.clear_since is None:
            s.clear_since = ts
    else:
        s.clear_since = None
    action = _decide(rule, definition, s, ts, raising=raising, seen=raising, known=True)
    s.due_at = _telemetry_due(rule, definition, s, ts, ts + timedelta(seconds=fresh_for))
    return s, action


def due_after_reading(rule: Compiled, state: State, fresh_for: float) -> datetime | None:
    """The due moment a state would have been given at its newest reading (its `last_ts`)."""
    definition = rule.definition
    assert isinstance(definition, TelemetryRule)
    if state.last_ts is None:
        return None
    fresh_until = state.last_ts + timedelta(seconds=fresh_for)
    return _telemetry_due(rule, definition, state, state.last_ts, fresh_until)


def _late_reading(
    rule: Compiled,
    definition: TelemetryRule,
    s: State,
    ts: datetime,
    values: dict[str, float],
    fresh_for: float,
) -> tuple[State, Action]:
    assert rule.raising is not None
    if not rule.raising(values, NO_MOVES):
        return s, NOTHING
    s.last_true_at = ts if s.last_true_at is None else max(s.last_true_at, ts)
    action = NOTHING
    if s.alarm_id is not None:
        action = Action(ActionKind.REPEAT, ts, seen=True)
    elif definition.for_seconds == 0 and not s.memory.get("wait"):
        severity = ladder(rule, 0.0, _step_mask(rule, values, NO_MOVES))
        if severity is not None:
            action = raise_alarm(s, ts, severity, held_since=s.held_since)
    assert s.last_ts is not None
    s.due_at = _telemetry_due(rule, definition, s, s.last_ts, s.last_ts + timedelta(seconds=fresh_for))
    return s, action


def values_of(rule: Compiled, metrics: dict[str, float], known: dict[str, float] | None) -> dict[str, float]:
    """The values a rule sees in a reading: the reading's own, and for a rule reading several metrics, the
    device's latest value of each metric the reading lacks."""
    if not known or not rule.multi_metric or rule.metrics <= metrics.keys():
        return metrics
    merged = {metric: value for metric, value in known.items() if metric in rule.metrics}
    merged.update(metrics)
    return merged


def _remember_steps(rule: Compiled, s: State, values: dict[str, float], moves: rates.Moves) -> None:
    if rule.step_tests:
        s.memory["m"] = _step_mask(rule, values, moves)


def _step_mask(rule: Compiled, values: dict[str, float], moves: rates.Moves) -> int:
    if not rule.step_tests:
        return EVERY_STEP
    mask = 0
    for index, test in enumerate(rule.step_tests):
        if test is None or test(values, moves):
            mask |= 1 << index
    return mask


def _clearing(
    rule: Compiled, definition: TelemetryRule, raising: bool, values: dict[str, float], moves: rates.Moves
) -> bool:
    clear = definition.clear
    if rule.clearing is not None:
        return rule.clearing(values, moves)
    # No clearing condition and no absence: the alarm lasts as long as its trigger does.
    return clear.absent_seconds is None and not raising


def _decide(
    rule: Compiled,
    definition: TelemetryRule,
    s: State,
    at: datetime,
    *,
    raising: bool,
    seen: bool,
    known: bool,
) -> Action:
    """The alarm action at `at`; `known` False when the tick cannot assume the conditions still hold."""
    if s.alarm_id is None:
        if not known:
            return NOTHING
        if s.memory.get("wait"):
            if not raising:
                s.memory.pop("wait")
            return NOTHING
        if not raising or s.held_since is None:
            return NOTHING
        elapsed = (at - s.held_since).total_seconds()
        if elapsed < definition.for_seconds:
            return NOTHING
        severity = ladder(rule, elapsed, s.memory.get("m", EVERY_STEP))
        if severity is None:
            return NOTHING
        return raise_alarm(s, at, severity, held_since=s.held_since)
    if rule.may_clear_at(s.severity):
        if (
            known
            and s.clear_since is not None
            and (at - s.clear_since).total_seconds() >= definition.clear.for_seconds
        ):
            stopped = definition.clear.condition is None
            return clear(s, at, ClearReason.TRIGGER_STOPPED if stopped else ClearReason.CONDITION)
        if absent(rule, s, at):
            return clear(s, at, ClearReason.ABSENCE)
    if known and raising and s.held_since is not None:
        elapsed = (at - s.held_since).total_seconds()
        severity = ladder(rule, elapsed, s.memory.get("m", EVERY_STEP)) or str(rule.ladder[-1].severity)
        return follow(s, at, severity, seen=seen)
    return NOTHING


def _telemetry_due(
    rule: Compiled, definition: TelemetryRule, s: State, at: datetime, fresh_until: datetime
) -> datetime | None:
    """The next moment time alone could change something: a hold reached, an escalation or a clearing
    hold completed (only while the device is fresh), or a clearing by absence."""
    moments: list[datetime] = []
    mask = s.memory.get("m", EVERY_STEP)
    if s.held_since is not None and not (s.alarm_id is None and s.memory.get("wait")):
        start = s.held_since
        floor = start + timedelta(seconds=definition.for_seconds) if s.alarm_id is None else start
        current_rank = None if s.severity is None else _rank(rule, s.severity)
        for index, step in enumerate(rule.ladder):
            if not mask >> index & 1:
                continue
            if current_rank is not None and index >= current_rank:
                continue  # not more severe than the alarm's present step
            moment = max(floor, start + timedelta(seconds=step.after_seconds))
            if at < moment <= fresh_until:
                moments.append(moment)
    if s.alarm_id is not None and rule.may_clear_at(s.severity):
        if s.clear_since is not None:
            moment = s.clear_since + timedelta(seconds=definition.clear.for_seconds)
            if at < moment <= fresh_until:
                moments.append(moment)
        absence = absence_due(rule, s)
        if absence is not None:
            moments.append(absence)
    return min(moments) if moments else None


def _rank(rule: Compiled, severity: str) -> int:
    """The index of `severity` in the ladder (most severe first); past the end if it is not there."""
    for index, step in enumerate(rule.ladder):
        if step.severity == severity:
            return index
    return len(rule.ladder)


def telemetry_time(
    rule: Compiled, definition: TelemetryRule, state: State, now: datetime, fresh_for: float | None
) -> tuple[State, Action]:
    """Time alone at `now`: the conditions are assumed to persist while the last reading is fresh."""
    s = current(rule, state)
    if s.last_ts is None or fresh_for is None:
        s.due_at = absence_due(rule, s) if s.alarm_id is not None else None
        return s, NOTHING
    fresh_until = s.last_ts + timedelta(seconds=fresh_for)
    known = now <= fresh_until
    raising = known and s.held_since is not None
    action = _decide(rule, definition, s, now, raising=raising, seen=False, known=known)
    s.due_at = _telemetry_due(rule, definition, s, now, fresh_until if known else now)
    return s, action
