"""Conditions turned into plain functions once, when a rule is compiled, so that evaluating one for a
reading is a few comparisons: no walk over the pydantic tree, no isinstance per node (pydantic models
answer isinstance through ABCMeta, which is slow at thousands of readings a second). The meaning is that of
ioc.rules.definition.holds, which the tests compare against.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Final

from ioc.rules.definition import AllOf, AnyOf, Condition, Threshold

Moves = dict[tuple[str, int], tuple[float, float]]
Predicate = Callable[[dict[str, float], Moves], bool]

_COMPARE: Final = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_isfinite = math.isfinite


def predicate(condition: Condition) -> Predicate:
    if isinstance(condition, AllOf):
        parts = tuple(predicate(part) for part in condition.all)
        return lambda values, moves: all(part(values, moves) for part in parts)
    if isinstance(condition, AnyOf):
        parts = tuple(predicate(part) for part in condition.any)
        return lambda values, moves: any(part(values, moves) for part in parts)
    if isinstance(condition, Threshold):
        return _threshold(condition.metric, _COMPARE[condition.op], condition.value)
    key = (condition.metric, condition.within_seconds)
    if condition.rises_by is not None:
        return _moved(key, 0, condition.rises_by)
    assert condition.falls_by is not None
    return _moved(key, 1, condition.falls_by)


def _threshold(metric: str, compare: Callable[[float, float], bool], limit: float) -> Predicate:
    def holds(values: dict[str, float], moves: Moves) -> bool:
        value = values.get(metric)
        return value is not None and _isfinite(value) and compare(value, limit)

    return holds


def _moved(key: tuple[str, int], side: int, amount: float) -> Predicate:
    def holds(values: dict[str, float], moves: Moves) -> bool:
        moved = moves.get(key)
        return moved is not None and moved[side] >= amount

    return holds
