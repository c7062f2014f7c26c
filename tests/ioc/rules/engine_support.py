"""Helpers of the engine's tests: rules from plain definitions, moments from seconds, and running a rule over
a series of readings the way the batch hook does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ioc.rules import engine
from ioc.rules.compiled import Compiled, compile_rule
from ioc.rules.state import NOTHING, Action, ActionKind, State

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
# A water-level sensor reports every 60 s: its liveness window is 180 s.
FRESH = 180.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(definition: dict[str, Any], version: int = 1, rule_id: uuid.UUID | None = None) -> Compiled:
    return compile_rule(rule_id or uuid.uuid4(), version, definition)


def telemetry(
    condition: dict[str, Any],
    *,
    clear: dict[str, Any] | None = None,
    severities: Sequence[dict[str, Any]] | None = None,
    for_seconds: int = 0,
) -> dict[str, Any]:
    return {
        "kind": "telemetry",
        "name": "Ngập đường / Street flooding",
        "alarm_type": "flood",
        "condition": condition,
        "for_seconds": for_seconds,
        "severities": list(severities or [{"severity": "warning"}]),
        "clear": clear or {},
    }


def camera_rule(**changes: Any) -> dict[str, Any]:
    """Fire or smoke at 0.8, a five-minute cool-down, major; with `changes` applied."""
    definition: dict[str, Any] = {
        "kind": "camera",
        "name": "Khói lửa / Fire or smoke",
        "alarm_type": "fire",
        "detection_types": ["fire", "smoke"],
        "min_confidence": 0.8,
        "cooldown_seconds": 300,
        "severities": [{"severity": "major"}],
    }
    definition.update(changes)
    return definition


def above(value: float, metric: str = "level_cm") -> dict[str, Any]:
    return {"metric": metric, "op": ">", "value": value}


def below(value: float, metric: str = "level_cm") -> dict[str, Any]:
    return {"metric": metric, "op": "<", "value": value}


def fresh(compiled: Compiled) -> State:
    return State(rule_version=compiled.version)


def readings(
    compiled: Compiled,
    state: State,
    series: Sequence[tuple[float, dict[str, float]]],
    fresh_for: float = FRESH,
    known: dict[str, float] | None = None,
) -> tuple[State, list[Action]]:
    """Feed (seconds, metrics) readings in order; the state after and every action that was not nothing.
    `known`: the device's latest value of each metric before the first (device_state keeps them)."""
    actions: list[Action] = []
    known = dict(known or {})
    for seconds, metrics in series:
        known = {**known, **metrics}
        state, action = engine.on_reading(compiled, state, at(seconds), metrics, fresh_for, known)
        if action is not NOTHING:
            actions.append(action)
    return state, actions


def kinds(actions: list[Action]) -> list[str]:
    return [
        f"{a.kind.value}:{a.severity}" if a.kind in (ActionKind.RAISE, ActionKind.CHANGE) else a.kind.value
        for a in actions
    ]


def level(value: float) -> dict[str, float]:
    return {"level_cm": value}
