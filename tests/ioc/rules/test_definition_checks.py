"""The rule language's own checks and the decisions over conditions: can a condition hold, can two hold at
once. Pure functions, no database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from ioc.rules import conditions
from ioc.rules.conditions import Interval
from ioc.rules.definition import (
    AllOf,
    AnyOf,
    Condition,
    ConditionField,
    RateOfChange,
    RuleDefinition,
    Threshold,
)
from ioc.rules.schemas import EXAMPLES
from tests.ioc.rules.rules_api import flood

CONDITION: TypeAdapter[Condition] = TypeAdapter(ConditionField)
DEFINITION: TypeAdapter[Any] = TypeAdapter(RuleDefinition)


def _c(document: dict[str, Any]) -> Condition:
    return CONDITION.validate_python(document)


def _level(op: str, value: float) -> dict[str, Any]:
    return {"metric": "level_cm", "op": op, "value": value}


def _rain(op: str, value: float) -> dict[str, Any]:
    return {"metric": "rain_mm", "op": op, "value": value}


RISE = {"metric": "level_cm", "rises_by": 10, "within_seconds": 600}


@pytest.mark.parametrize(
    ("document", "holds"),
    [
        (_level(">", 30), True),
        ({"all": [_level(">", 30), _level("<", 20)]}, False),
        ({"all": [_level(">", 30), _level("<", 30)]}, False),
        ({"all": [_level(">=", 30), _level("<=", 30)]}, True),
        ({"all": [_level(">", 30), _level("<=", 30)]}, False),
        ({"all": [_level(">=", 30), _level("<", 30)]}, False),
        ({"any": [{"all": [_level(">", 30), _level("<", 20)]}, _rain(">", 5)]}, True),
        (
            {
                "all": [
                    {"any": [_level(">", 30), _level("<", 5)]},
                    {"all": [_level(">", 10), _level("<", 20)]},
                ]
            },
            False,
        ),
        ({"all": [RISE, _level(">", 30), _level("<", 20)]}, False),
        ({"all": [RISE, _rain(">", 5)]}, True),
    ],
)
def test_can_hold(document: dict[str, Any], holds: bool) -> None:
    assert conditions.can_hold(_c(document)) is holds


@pytest.mark.parametrize(
    ("first", "second", "together"),
    [
        # The proper hysteresis band: nothing in common.
        (_level(">", 30), _level("<", 20), None),
        (_level(">", 30), _level("<=", 30), None),
        (_level(">=", 30), _level("<=", 30), {"level_cm": 30}),
        (_level(">", 30), _level("<", 40), {"level_cm": 35}),
        (_level(">", 30), _rain("<", 1), {"level_cm": 31, "rain_mm": 0}),
        ({"all": [_level(">", 30), _rain(">", 5)]}, {"any": [_level("<", 20), _rain("<", 1)]}, None),
        ({"any": [_level(">", 30), _rain(">", 5)]}, {"all": [_level("<", 20), _rain("<", 1)]}, None),
        ({"any": [_level(">", 30), _rain(">", 5)]}, _level("<", 20), {"level_cm": 19, "rain_mm": 6}),
        # A rate of change is not judged against a value.
        (RISE, _level("<", 20), None),
    ],
)
def test_held_together(
    first: dict[str, Any], second: dict[str, Any], together: dict[str, float] | None
) -> None:
    assert conditions.held_together(_c(first), _c(second)) == together


def test_a_step_condition_is_judged_with_the_rules() -> None:
    assert conditions.can_hold_with(_c(_level(">", 50)), _c(_level(">", 30)))
    assert not conditions.can_hold_with(_c(_level("<", 10)), _c(_level(">", 30)))


def test_beyond_the_term_bound_nothing_is_refused() -> None:
    # An AND of nine ORs of two is 512 terms: too many to judge cheaply, so even this contradiction is let
    # through (the model bounds a tree at 20 comparisons, so the bound is all the work there is).
    pairs = [{"any": [_level(">", n), _rain(">", n)]} for n in range(9)]
    huge = _c({"all": [*pairs, _level("<", -100), _level(">", 100)]})
    assert conditions.can_hold(huge)
    assert conditions.held_together(huge, huge) is None


@pytest.mark.parametrize(
    ("first", "second", "met"),
    [
        (Interval(low=1), Interval(high=2), Interval(low=1, high=2)),
        (Interval(low=1, low_closed=True), Interval(low=1), Interval(low=1)),
        (
            Interval(high=5, high_closed=True),
            Interval(high=5, high_closed=True),
            Interval(high=5, high_closed=True),
        ),
    ],
)
def test_intervals_meet(first: Interval, second: Interval, met: Interval) -> None:
    assert first.meet(second) == met
    assert second.meet(first) == met


def test_interval_emptiness_and_samples() -> None:
    assert Interval(low=2, high=1).empty
    assert Interval(low=1, high=1).empty
    assert not Interval(low=1, low_closed=True, high=1, high_closed=True).empty
    assert Interval(low=1, high=3).sample() == 2
    assert Interval(low=1).sample() == 2
    assert Interval(high=1, high_closed=True).sample() == 1
    assert Interval().sample() == 0


def test_conditions_parse_into_their_own_classes() -> None:
    parsed = _c({"all": [_level(">", 1), {"any": [RISE]}]})
    assert isinstance(parsed, AllOf)
    assert isinstance(parsed.all[0], Threshold)
    assert isinstance(parsed.all[1], AnyOf)
    assert isinstance(parsed.all[1].any[0], RateOfChange)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example["alarm_type"] for example in EXAMPLES])
def test_a_stored_definition_reads_back_the_same(example: dict[str, Any]) -> None:
    stored = DEFINITION.validate_python(example).model_dump(mode="json")
    assert DEFINITION.validate_python(stored).model_dump(mode="json") == stored
    assert stored["kind"] == example["kind"]


def _errors(document: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as refused:
        DEFINITION.validate_python(document)
    return [(error["loc"], error["msg"]) for error in refused.value.errors()]


def test_ladder_errors_point_at_the_severities() -> None:
    errors = _errors(flood(severities=[{"severity": "major"}, {"severity": "major", "after_seconds": 5}]))
    assert errors == [(("telemetry", "severities"), "Value error, severities: each severity at most once")]


def test_names_with_nul_and_bad_category_codes_are_refused() -> None:
    assert _errors(flood(name="a\x00b"))[0][0] == ("telemetry", "name")
    surge = {
        "kind": "report_surge",
        "name": "Nhiều phản ánh",
        "alarm_type": "reports",
        "category_code": "Flooding!",
        "min_reports": 3,
        "radius_m": 100,
        "window_seconds": 600,
        "severities": [{"severity": "minor"}],
    }
    assert _errors(surge)[0][0] == ("report_surge", "category_code")
