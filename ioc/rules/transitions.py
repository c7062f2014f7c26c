"""What every kind of rule does alike: a state under the rule's current version, an alarm cleared by hand,
the ladder of severities, and raising, following and clearing an alarm. Pure: no I/O."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from ioc.rules.compiled import Compiled
from ioc.rules.state import NOTHING, Action, ActionKind, ClearReason, State
from ioc.types import RuleKind

EVERY_STEP: Final = -1  # all bits set: every step's own condition counts as holding


def current(rule: Compiled, state: State) -> State:
    """A copy of `state` under the rule's current version: a new version starts holds afresh and keeps the
    alarm."""
    fresh = state.copy()
    if fresh.rule_version == rule.version:
        return fresh
    fresh.rule_version = rule.version
    fresh.held_since = None
    fresh.clear_since = None
    fresh.memory = {key: value for key, value in fresh.memory.items() if key in ("wait", "lon", "lat")}
    fresh.due_at = absence_due(rule, fresh) if fresh.alarm_id is not None else None
    return fresh


def cleared_by_hand(rule: Compiled, state: State) -> State:
    """The state once its alarm turned out cleared by an officer: nothing active; a telemetry rule whose
    condition still holds, and a silence rule, wait for the trigger to stop first."""
    fresh = state.copy()
    fresh.alarm_id = None
    fresh.severity = None
    fresh.clear_since = None
    fresh.due_at = None
    kind = rule.kind
    if (kind is RuleKind.TELEMETRY and fresh.held_since is not None) or kind in (
        RuleKind.SILENCE,
        RuleKind.REPORT_SURGE,
    ):
        fresh.memory["wait"] = True
    return fresh


def ladder(rule: Compiled, elapsed: float, mask: int) -> str | None:
    """The most severe step whose own condition held (bit of `mask`) and whose time has come."""
    for index, step in enumerate(rule.ladder):
        if elapsed >= step.after_seconds and mask >> index & 1:
            return str(step.severity)
    return None


def ladder_by_time(rule: Compiled, elapsed: float) -> str:
    return ladder(rule, elapsed, EVERY_STEP) or str(rule.ladder[-1].severity)


def raise_alarm(s: State, at: datetime, severity: str, *, held_since: datetime | None) -> Action:
    # The id the new alarm will have: the state names it from now on.
    s.alarm_id = uuid.uuid4()
    s.severity = severity
    s.held_since = held_since
    s.clear_since = None
    return Action(ActionKind.RAISE, at, severity=severity, seen=True, alarm_id=s.alarm_id)


def follow(s: State, at: datetime, severity: str, *, seen: bool) -> Action:
    if severity != s.severity:
        previous, s.severity = s.severity, severity
        return Action(ActionKind.CHANGE, at, severity=severity, previous=previous, seen=seen)
    return Action(ActionKind.REPEAT, at, seen=True) if seen else NOTHING


def clear(s: State, at: datetime, reason: ClearReason) -> Action:
    s.alarm_id = None
    s.severity = None
    s.held_since = None
    s.clear_since = None
    s.memory.pop("m", None)
    return Action(ActionKind.CLEAR, at, reason=reason)


def absent(rule: Compiled, s: State, at: datetime) -> bool:
    if rule.absent_seconds is None or s.last_true_at is None:
        return False
    return (at - s.last_true_at).total_seconds() >= rule.absent_seconds


def absence_due(rule: Compiled, s: State) -> datetime | None:
    if rule.absent_seconds is None or s.last_true_at is None or not rule.may_clear_at(s.severity):
        return None
    return s.last_true_at + timedelta(seconds=rule.absent_seconds)
