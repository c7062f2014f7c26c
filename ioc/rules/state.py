"""What the engine reads and returns: a rule's state about one source, and the alarm action of one step.

`State` mirrors a row of alert_rule_states (ioc.rules.models.RuleState) without the keys. Its `memory`
is a small JSON object; the keys the engine uses:

    "s"     {metric: [[bucket, lo, hi]]}  recent values for rates of change, bounded (ioc.rules.rates)
    "m"     int                        which ladder steps' own conditions held at the last reading (bits)
    "wait"  true                       an officer cleared the alarm by hand: no new one until the trigger
                                       has stopped (telemetry) or the device has spoken (silence)
    "lon", "lat"                       a report cluster's point
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final


@dataclass(slots=True)
class State:
    rule_version: int
    last_ts: datetime | None = None
    held_since: datetime | None = None
    last_true_at: datetime | None = None
    clear_since: datetime | None = None
    alarm_id: uuid.UUID | None = None
    severity: str | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    due_at: datetime | None = None

    def copy(self) -> State:
        # Nested values of memory are replaced, never changed in place, so a shallow copy is enough.
        return State(
            self.rule_version,
            self.last_ts,
            self.held_since,
            self.last_true_at,
            self.clear_since,
            self.alarm_id,
            self.severity,
            dict(self.memory),
            self.due_at,
        )

    @property
    def active(self) -> bool:
        """Whether the state has an active alarm (the loader drops an alarm cleared by hand)."""
        return self.alarm_id is not None

    @property
    def idle(self) -> bool:
        """Nothing held, nothing raised, nothing due: only a new message can change it."""
        return (
            self.alarm_id is None
            and self.held_since is None
            and self.clear_since is None
            and self.due_at is None
            and not self.memory.get("wait")
        )

    def same_as(self, other: State) -> bool:
        """Equal in every column that matters; `last_ts` counts only while something is held or raised (an
        idle state's newest timestamp is not worth a write per reading)."""
        if self.idle and other.idle:
            return (
                self.rule_version == other.rule_version
                and self.last_true_at == other.last_true_at
                and self.memory == other.memory
            )
        return (
            self.rule_version == other.rule_version
            and self.last_ts == other.last_ts
            and self.held_since == other.held_since
            and self.last_true_at == other.last_true_at
            and self.clear_since == other.clear_since
            and self.alarm_id == other.alarm_id
            and self.severity == other.severity
            and self.due_at == other.due_at
            and self.memory == other.memory
        )


class ActionKind(StrEnum):
    NONE = "none"
    RAISE = "raise"  # a new alarm at `severity`
    REPEAT = "repeat"  # another qualifying message for the active alarm (count + 1, last seen)
    CHANGE = "change"  # the active alarm's severity goes from `previous` to `severity`
    CLEAR = "clear"  # the active alarm clears by its rule, for `reason`


class ClearReason(StrEnum):
    CONDITION = "condition"  # the clearing condition held for its duration
    TRIGGER_STOPPED = "trigger_stopped"  # no clearing condition: the raising one stopped holding
    ABSENCE = "absence"  # the trigger was absent for absent_seconds
    SPOKE = "spoke"  # a silent device spoke again


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    at: datetime | None = None
    severity: str | None = None
    previous: str | None = None
    # A qualifying message came with it: the alarm's count grows by one and last_seen_at moves to `at`.
    seen: bool = False
    reason: ClearReason | None = None
    # RAISE: the new alarm's id (the state names it too).
    alarm_id: uuid.UUID | None = None


NOTHING: Final = Action(ActionKind.NONE)
