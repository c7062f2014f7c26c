"""The rules' state transitions, without I/O: (rule, state, what happened) -> (new state, alarm action).

What happened is a device's reading (its metrics merged onto the last known values), a camera's detection,
a new citizen report in a cluster, or only time passing (the worker's tick). The input state is never
changed; the returned one is what to store.

Telemetry rules:
- The condition must hold without a break, by the readings' timestamps, for `for_seconds`; then the alarm
  takes the most severe step of the ladder whose own condition (if any) holds and whose `after_seconds`
  has passed since the hold began ("warning at once, critical after 10 minutes"). While the condition
  holds, each reading is a repeat and the severity follows the ladder, up with time and down when a
  step's own condition eases; while it does not hold (the band between the raising and the clearing
  thresholds), nothing changes.
- A hold is broken by a gap between readings longer than the device's liveness window (3 report
  intervals): what held before it is not known to have held through it.
- Clearing: `clear.condition` held for `clear.for_seconds` (hysteresis); or the trigger not seen for
  `clear.absent_seconds`, which time alone decides (`due_at` says when to look); with neither, the alarm
  clears once the raising condition has stopped holding for `clear.for_seconds`. `clear.severities`
  limits clearing by itself to those severities; an officer clears the others.
- Between readings, the worker's tick assumes a condition persists while the device's last reading is
  within its liveness window: holds are reached, severities escalate and clearing holds complete by time.
- A reading older than the newest one taken (it arrived late, through another consumer) moves no hold,
  no clearing hold and no rate of change, and never clears; but when its own values meet the condition it
  repeats the active alarm, or, for a rule with no `for_seconds`, raises one: a late reading never loses
  an alarm. Its rates of change are not evaluated (the samples around it are gone).
- An officer who clears an alarm by hand while its condition still holds is not contradicted: no new
  alarm until the condition has stopped holding once.

Camera rules: a detection of the rule's types at or above its confidence raises at the ladder's first
step; while the alarm is active each one repeats it and later steps come by `after_seconds` since the first;
with no alarm, a detection within `cooldown_seconds` of the previous qualifying one (even after an officer
cleared the alarm) raises nothing. The alarm clears when none has come for `absent_seconds` (default: the
cool-down).

Silence rules raise once when the device falls silent or its last will says offline, escalate by time,
and clear when it speaks again. Report-surge rules raise when a cluster reaches `min_reports`, repeat on each
further report, and clear when none has joined for `absent_seconds` (default: the window).

A new version of a rule starts every hold afresh and keeps the active alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ioc.rules.compiled import Compiled
from ioc.rules.definition import CameraRule, ReportSurgeRule, SilenceRule, TelemetryRule
from ioc.rules.state import NOTHING, Action, ClearReason, State
from ioc.rules.telemetry import on_reading, telemetry_time
from ioc.rules.transitions import (
    absence_due,
    absent,
    clear,
    cleared_by_hand,
    current,
    follow,
    ladder_by_time,
    raise_alarm,
)
from ioc.types import RuleKind

__all__ = [
    "BACK",
    "Heard",
    "cleared_by_hand",
    "current",
    "hearing",
    "on_detection",
    "on_reading",
    "on_report",
    "on_silence",
    "on_time",
]


# --- cameras -----------------------------------------------------------------------------------------


def on_detection(
    rule: Compiled, state: State, ts: datetime, detection_type: str, confidence: float
) -> tuple[State, Action]:
    definition = rule.definition
    assert isinstance(definition, CameraRule)
    if detection_type not in definition.detection_types or confidence < definition.min_confidence:
        return state, NOTHING
    s = current(rule, state)
    previous = s.last_true_at
    s.last_true_at = ts if previous is None else max(previous, ts)
    s.last_ts = ts if s.last_ts is None else max(s.last_ts, ts)
    if s.alarm_id is not None:
        start = s.held_since or ts
        action = follow(s, ts, ladder_by_time(rule, (ts - start).total_seconds()), seen=True)
    elif previous is not None and abs((ts - previous).total_seconds()) < definition.cooldown_seconds:
        action = NOTHING  # the camera's cool-down: not a new alarm
    else:
        action = raise_alarm(s, ts, ladder_by_time(rule, 0.0), held_since=ts)
    s.due_at = absence_due(rule, s)
    return s, action


# --- silence and report surges -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heard:
    """A device's liveness as a silence rule sees it: back online, offline for one of the rule's reasons,
    or neither (between its liveness window and the rule's grace, or offline for a reason it ignores)."""

    online: bool
    offline: str | None = None


BACK: Final = Heard(online=True)


def hearing(
    now: datetime,
    last_seen_at: datetime | None,
    reported_state: str | None,
    reported_at: datetime | None,
    *,
    window: float,
    grace: float,
    reasons: Sequence[str],
) -> Heard:
    """What a silence rule makes of a device at `now`. It is online when something arrived within its
    liveness window and the newest message is not an `offline` status (its last will); it is offline by
    last will when that status came last, and by silence when nothing came for the window plus the rule's
    grace. A device never heard from is neither: it is not in service yet."""
    if last_seen_at is None:
        return Heard(online=False)
    goodbye = reported_state == "offline" and reported_at is not None and reported_at >= last_seen_at
    quiet = (now - last_seen_at).total_seconds()
    if goodbye and "last_will" in reasons:
        return Heard(online=False, offline="last_will")
    if quiet > window + grace and "silence" in reasons:
        return Heard(online=False, offline="silence")
    return Heard(online=not goodbye and quiet <= window)


def on_silence(rule: Compiled, state: State, at: datetime, heard: Heard) -> tuple[State, Action]:
    """A silence rule at `at`: raise once while the device is offline for one of its reasons, escalate by
    time, clear once it is back online."""
    assert isinstance(rule.definition, SilenceRule)
    s = current(rule, state)
    if heard.online:
        s.memory.pop("wait", None)
        s.memory.pop("reason", None)
        s.held_since = None
        s.due_at = None
        if s.alarm_id is not None and rule.may_clear_at(s.severity):
            return s, clear(s, at, ClearReason.SPOKE)
        return s, NOTHING
    if heard.offline is None:
        s.due_at = _escalation_due(rule, s, at)
        return s, NOTHING
    if s.alarm_id is None:
        if s.memory.get("wait"):
            return s, NOTHING
        s.memory["reason"] = heard.offline
        action = raise_alarm(s, at, ladder_by_time(rule, 0.0), held_since=at)
    else:
        start = s.held_since or at
        action = follow(s, at, ladder_by_time(rule, (at - start).total_seconds()), seen=False)
    s.due_at = _escalation_due(rule, s, at)
    return s, action


def on_report(rule: Compiled, state: State, at: datetime, count: int) -> tuple[State, Action]:
    """A surge rule and a new report joining a cluster of `count` reports within the window."""
    definition = rule.definition
    assert isinstance(definition, ReportSurgeRule)
    s = current(rule, state)
    s.last_true_at = at if s.last_true_at is None else max(s.last_true_at, at)
    s.last_ts = s.last_true_at
    if s.alarm_id is not None:
        start = s.held_since or at
        action = follow(s, at, ladder_by_time(rule, (at - start).total_seconds()), seen=True)
    elif s.memory.get("wait") or count < definition.min_reports:
        action = NOTHING
    else:
        action = raise_alarm(s, at, ladder_by_time(rule, 0.0), held_since=at)
    s.due_at = absence_due(rule, s)
    return s, action


# --- time ----------------------------------------------------------------------------------------------


def on_time(
    rule: Compiled, state: State, now: datetime, *, fresh_for: float | None, heard: Heard | None = None
) -> tuple[State, Action]:
    """The tick: what time alone changes at `now`. `fresh_for` is the device's liveness window (None for
    a report cluster); `heard` is the device's liveness for a silence rule."""
    if rule.kind is RuleKind.SILENCE:
        return on_silence(rule, state, now, heard or Heard(online=False))
    if isinstance(rule.definition, TelemetryRule):
        return telemetry_time(rule, rule.definition, state, now, fresh_for)
    s = current(rule, state)
    action = NOTHING
    if s.alarm_id is not None and rule.may_clear_at(s.severity) and absent(rule, s, now):
        action = clear(s, now, ClearReason.ABSENCE)
    s.due_at = absence_due(rule, s) if s.alarm_id is not None else None
    return s, action


def _escalation_due(rule: Compiled, s: State, at: datetime) -> datetime | None:
    """A silence alarm's next step by time."""
    if s.alarm_id is None or s.held_since is None:
        return None
    moments = [
        s.held_since + timedelta(seconds=step.after_seconds)
        for step in rule.ladder
        if s.held_since + timedelta(seconds=step.after_seconds) > at
    ]
    return min(moments) if moments else None
