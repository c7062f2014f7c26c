"""Writing what the engine decided, for many (rule, source) pairs at once: alarms, timeline entries, live
events and the new states, in a few statements on an asyncpg connection inside the caller's transaction.

The consumer's batch hook, the worker's tick and the report-surge hook all end here. Per pair, the actions
of one batch fold into episodes, one per alarm: a change of the active alarm (repeats, severities, its
clearing) and any new alarm raised after it (possibly cleared again within the same batch).

Repeats raise the alarm's count and last-seen time every time, in the alarm row. Its timeline and the live
channel hear of a repeat only when the count reaches 2, 5, 10, 20, 50, 100, 200, 500, ...: a flooded
street's sensor repeats every minute for hours, and the wall must stay readable at 5,000 messages a second.
Raising, a change of severity and clearing are always an entry and an event each.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from core.events.outbox import emit_raw
from ioc.alarms import events, journal
from ioc.alarms.events import AlarmFacts
from ioc.rules.compiled import Compiled
from ioc.rules.repository import raised, states
from ioc.rules.state import Action, ActionKind, State
from ioc.types import AlarmStatus
from mobile_contract.events import EventEnvelope

_ACTIVE_OF: Final = {
    AlarmStatus.CLEARED_UNACKNOWLEDGED.value: AlarmStatus.ACTIVE_UNACKNOWLEDGED.value,
    AlarmStatus.CLEARED_ACKNOWLEDGED.value: AlarmStatus.ACTIVE_ACKNOWLEDGED.value,
}


def milestone_after(count: int) -> int:
    """The next count at which a repeat is told: 2, 5, 10, 20, 50, 100, ..."""
    scale = 1
    while True:
        for step in (2, 5, 10):
            if step * scale > count:
                return step * scale
        scale *= 10


@dataclass(slots=True)
class Outcome:
    """One (rule, source) after the engine ran: the state before (None: no row) and after, and each action
    with the details it would give a new alarm."""

    rule: Compiled
    source_kind: str
    source_key: str
    device_id: uuid.UUID | None
    before: State | None
    after: State
    # The alarm that was active when the state was loaded (the one repeats and changes act on).
    active_alarm_id: uuid.UUID | None = None
    actions: list[tuple[Action, dict[str, Any]]] = field(default_factory=list)
    # Report clusters name their unit and point; devices' come from the device row.
    unit_code: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(slots=True)
class _Episode:
    outcome: Outcome
    alarm_id: uuid.UUID
    new: bool
    raise_action: Action | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    last_seen: datetime | None = None
    changes: list[Action] = field(default_factory=list)
    cleared: Action | None = None
    latest: dict[str, Any] | None = None


def _episodes(outcome: Outcome) -> list[_Episode]:
    found: list[_Episode] = []
    existing = outcome.active_alarm_id
    current: _Episode | None = None
    for action, details in outcome.actions:
        if action.kind is ActionKind.RAISE:
            assert action.alarm_id is not None
            assert action.at is not None
            current = _Episode(outcome, action.alarm_id, True, action, details, last_seen=action.at)
            found.append(current)
            continue
        if current is None:
            if existing is None:
                continue  # nothing active to act on (cannot happen: the engine acts on its own alarm)
            current = _Episode(outcome, existing, False)
            found.append(current)
            existing = None
        if action.seen and action.at is not None:
            current.seen += 1
            current.last_seen = action.at if current.last_seen is None else max(current.last_seen, action.at)
            current.latest = details
        if action.kind is ActionKind.CHANGE:
            current.changes.append(action)
        elif action.kind is ActionKind.CLEAR:
            current.cleared = action
            current = None
    return found


async def record(
    connection: Any, outcomes: list[Outcome], *, also: list[states.Write] | None = None
) -> tuple[list[states.Write], dict[uuid.UUID, int]]:
    """Write the alarms, entries, events and changed states of `outcomes` (and the states `also`); the
    states written and the new stamp of each device among them (states.upsert)."""
    episodes = [episode for outcome in outcomes for episode in _episodes(outcome)]
    old = [episode for episode in episodes if not episode.new]
    new = [episode for episode in episodes if episode.new]
    entries: list[raised.Entry] = []
    envelopes: list[EventEnvelope] = []
    # Changes first: an alarm cleared here frees its (rule, source) for one raised after it.
    changed = await raised.change_alarms(connection, [_change(episode) for episode in old])
    by_id = {episode.alarm_id: episode for episode in old}
    for facts, added in changed:
        _tell(by_id[facts.id], facts, facts.count - added, entries, envelopes)
    inserted = await raised.insert_alarms(connection, [_new_alarm(episode) for episode in new])
    new_by_id = {episode.alarm_id: episode for episode in new}
    # Only an active new alarm can meet another: at most one per (rule, source).
    active_by_key = {
        (episode.outcome.rule.id, episode.outcome.source_key): episode
        for episode in new
        if episode.cleared is None
    }
    for facts, source_key, fresh in inserted:
        if fresh:
            _tell_new(new_by_id[facts.id], facts, entries, envelopes)
            continue
        assert facts.rule_id is not None
        episode = active_by_key[(facts.rule_id, source_key)]
        # An active alarm the state did not know: this was a repeat of it, and the state names it now.
        episode.outcome.after.alarm_id = facts.id
        if milestone_after(facts.count - (1 + episode.seen)) <= facts.count:
            _repeat(facts, facts.last_seen_at, entries, envelopes)
    await raised.add_entries(connection, entries)
    await emit_raw(connection, envelopes)
    written = _writes(outcomes) + (also or [])
    return written, await states.upsert(connection, written)


def _writes(outcomes: list[Outcome]) -> list[states.Write]:
    """The states that changed; a pair with no row that is still as good as new stays without one."""
    writes: list[states.Write] = []
    for outcome in outcomes:
        before = outcome.before or State(rule_version=outcome.after.rule_version)
        if not outcome.after.same_as(before):
            writes.append(
                states.Write(outcome.rule.id, outcome.source_key, outcome.source_kind, outcome.after)
            )
    return writes


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _change(episode: _Episode) -> raised.Change:
    severity = episode.changes[-1].severity if episode.changes else None
    cleared = episode.cleared.at if episode.cleared is not None else None
    latest = None if episode.latest is None else _json({"latest": episode.latest})
    return raised.Change(episode.alarm_id, episode.seen, episode.last_seen, severity, cleared, latest)


def _new_alarm(episode: _Episode) -> raised.NewAlarm:
    outcome = episode.outcome
    rule = outcome.rule
    action = episode.raise_action
    assert action is not None
    assert action.at is not None
    assert action.severity is not None
    severity = episode.changes[-1].severity if episode.changes else action.severity
    assert severity is not None
    details = dict(episode.details)
    if episode.latest is not None and episode.seen:
        details["latest"] = episode.latest
    return raised.NewAlarm(
        id=episode.alarm_id,
        rule_id=rule.id,
        rule_version=rule.version,
        source_kind=outcome.source_kind,
        source_key=outcome.source_key,
        device_id=outcome.device_id,
        unit_code=outcome.unit_code,
        lon=outcome.lon,
        lat=outcome.lat,
        type=rule.definition.alarm_type,
        severity=severity,
        title_vi=rule.title_vi,
        title_en=rule.title_en,
        details=_json(details),
        count=1 + episode.seen,
        raised_at=action.at,
        last_seen=episode.last_seen or action.at,
        cleared_at=None if episode.cleared is None else episode.cleared.at,
    )


def _as_active(facts: AlarmFacts, severity: str | None = None) -> AlarmFacts:
    """The alarm as it was before a clearing later in the same batch."""
    status = _ACTIVE_OF.get(facts.status, facts.status)
    return replace(facts, status=status, cleared_at=None, severity=severity or facts.severity)


def _tell_new(
    episode: _Episode, facts: AlarmFacts, entries: list[raised.Entry], out: list[EventEnvelope]
) -> None:
    action = episode.raise_action
    assert action is not None
    assert action.at is not None
    at_raise = replace(_as_active(facts, action.severity), count=1, last_seen_at=action.at)
    _entry(at_raise, journal.RAISED, action.at, episode.details, entries)
    out.append(events.alarm_event(events.RAISED, at_raise, change={"by": "rule"}, at=action.at))
    _tell(episode, facts, 1, entries, out)


def _tell(
    episode: _Episode,
    facts: AlarmFacts,
    count_before: int,
    entries: list[raised.Entry],
    out: list[EventEnvelope],
) -> None:
    """The entries and events of an episode's repeats, severity changes and clearing."""
    for change in episode.changes:
        assert change.at is not None
        during = _as_active(facts, change.severity)
        detail = {"from": change.previous, "to": change.severity}
        _entry(during, journal.SEVERITY_CHANGED, change.at, detail, entries)
        said = {"severity_from": change.previous, "by": "rule"}
        out.append(events.alarm_event(events.UPDATED, during, change=said, at=change.at))
    if episode.seen and milestone_after(count_before) <= count_before + episode.seen:
        last = episode.last_seen or facts.last_seen_at
        _repeat(facts if episode.cleared is None else _as_active(facts), last, entries, out)
    if episode.cleared is not None:
        cleared = episode.cleared
        assert cleared.at is not None
        reason = None if cleared.reason is None else cleared.reason.value
        _entry(facts, journal.CLEARED, cleared.at, {"by": "rule", "reason": reason}, entries)
        out.append(
            events.alarm_event(events.CLEARED, facts, change={"by": "rule", "reason": reason}, at=cleared.at)
        )


def _repeat(facts: AlarmFacts, at: datetime, entries: list[raised.Entry], out: list[EventEnvelope]) -> None:
    _entry(facts, journal.REPEATED, at, {"count": facts.count}, entries)
    out.append(events.alarm_event(events.UPDATED, facts, change={"count": facts.count, "by": "rule"}, at=at))


def _entry(
    facts: AlarmFacts, kind: str, at: datetime, detail: dict[str, Any], entries: list[raised.Entry]
) -> None:
    entries.append(raised.Entry(facts.id, at, kind, facts.severity, facts.status, _json(detail)))
