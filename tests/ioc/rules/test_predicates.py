"""Compiled predicates mean what `holds` means, over every kind of condition and value."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pydantic import TypeAdapter

from ioc.rules.definition import Condition, ConditionField, holds
from ioc.rules.predicates import predicate

CONDITION: TypeAdapter[Condition] = TypeAdapter(ConditionField)
METRICS = ("pm25", "pm10")


def _leaf(rng: random.Random) -> dict[str, Any]:
    metric = rng.choice(METRICS)
    if rng.random() < 0.6:
        return {"metric": metric, "op": rng.choice([">", ">=", "<", "<="]), "value": rng.choice([10, 50, 90])}
    direction = rng.choice(["rises_by", "falls_by"])
    return {"metric": metric, direction: rng.choice([5, 20]), "within_seconds": rng.choice([60, 600])}


def _condition(rng: random.Random, depth: int) -> dict[str, Any]:
    if depth == 0 or rng.random() < 0.4:
        return _leaf(rng)
    return {rng.choice(["all", "any"]): [_condition(rng, depth - 1) for _ in range(rng.randint(1, 3))]}


@pytest.mark.parametrize("seed", range(40))
def test_a_predicate_agrees_with_holds(seed: int) -> None:
    rng = random.Random(seed)
    condition = CONDITION.validate_python(_condition(rng, 3))
    test = predicate(condition)
    for _ in range(50):
        values = {
            m: rng.choice([0.0, 10.0, 50.0, 70.0, 90.0, float("nan")]) for m in METRICS if rng.random() < 0.8
        }
        moves = {
            (m, w): (rng.choice([0.0, 5.0, 30.0]), rng.choice([0.0, 5.0, 30.0]))
            for m in METRICS
            for w in (60, 600)
            if rng.random() < 0.7
        }
        assert test(values, moves) is holds(condition, values, moves)
