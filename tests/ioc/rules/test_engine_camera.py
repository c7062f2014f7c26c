"""The engine on camera rules: qualifying detections, repeats, the per-camera cool-down, escalation while
detections keep coming, and clearing by absence."""

from __future__ import annotations

from typing import Any

from ioc.rules import engine
from ioc.rules.compiled import Compiled
from ioc.rules.state import NOTHING, Action, ActionKind, ClearReason, State
from tests.ioc.rules.engine_support import at, camera_rule, fresh, kinds, rule


def camera(**changes: Any) -> Compiled:
    return rule(camera_rule(**changes))


def detections(
    compiled: Compiled, state: State, series: list[tuple[float, str, float]]
) -> tuple[State, list[Action]]:
    actions: list[Action] = []
    for seconds, kind, confidence in series:
        state, action = engine.on_detection(compiled, state, at(seconds), kind, confidence)
        if action is not NOTHING:
            actions.append(action)
    return state, actions


def test_only_the_rules_types_at_its_confidence_raise() -> None:
    fire = camera()
    state, actions = detections(fire, fresh(fire), [(0, "crowd", 0.99), (10, "smoke", 0.79)])
    assert actions == []
    assert state.idle
    state, actions = detections(fire, state, [(20, "smoke", 0.8)])
    assert kinds(actions) == ["raise:major"]
    assert state.due_at == at(320)  # absent_seconds defaults to the cool-down


def test_detections_within_the_cool_down_repeat_the_alarm() -> None:
    fire = camera()
    state, actions = detections(
        fire, fresh(fire), [(0, "fire", 0.9), (60, "smoke", 0.95), (200, "fire", 0.9)]
    )
    assert kinds(actions) == ["raise:major", "repeat", "repeat"]
    assert state.last_true_at == at(200)


def test_absence_clears_and_the_cool_down_still_holds_after_a_clear() -> None:
    fire = camera(clear={"absent_seconds": 120})
    state, _ = detections(fire, fresh(fire), [(0, "fire", 0.9)])
    state, action = engine.on_time(fire, state, at(120), fresh_for=None)
    assert action.kind is ActionKind.CLEAR
    assert action.reason is ClearReason.ABSENCE
    # Cleared at 120, but 200 is within 300 s of the last detection: the camera is cooling down.
    state, actions = detections(fire, state, [(200, "fire", 0.9)])
    assert actions == []
    state, actions = detections(fire, state, [(501, "fire", 0.9)])
    assert kinds(actions) == ["raise:major"]


def test_a_clear_by_hand_is_not_undone_within_the_cool_down() -> None:
    fire = camera()
    state, _ = detections(fire, fresh(fire), [(0, "fire", 0.9)])
    handled = engine.cleared_by_hand(fire, state)
    handled, actions = detections(fire, handled, [(100, "fire", 0.9), (350, "fire", 0.9)])
    assert actions == []
    _, actions = detections(fire, handled, [(700, "fire", 0.9)])
    assert kinds(actions) == ["raise:major"]


def test_later_steps_come_while_detections_keep_coming() -> None:
    fire = camera(severities=[{"severity": "major"}, {"severity": "critical", "after_seconds": 120}])
    state, actions = detections(fire, fresh(fire), [(0, "fire", 0.9), (60, "fire", 0.9), (130, "fire", 0.9)])
    assert kinds(actions) == ["raise:major", "repeat", "change:critical"]
    # Time alone does not escalate a camera's alarm: only the absence clears it.
    later, action = engine.on_time(fire, state, at(200), fresh_for=None)
    assert action is NOTHING
    assert later.severity == "critical"
