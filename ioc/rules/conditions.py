"""Whether a condition can ever hold, and whether two can hold at once, decided over value intervals.

A condition is rewritten as an OR of terms (disjunctive normal form); a term is an AND of comparisons,
kept as one interval of values per metric. `level_cm > 30 AND level_cm < 20` has no term left: it never
holds. A rate of change constrains past values, not the current one, so it adds nothing to a term: it can
always be met. The rewriting can grow (an AND of ORs multiplies), so beyond MAX_TERMS the answer is
"undecided" and the rule is let through, as a single document could not be judged cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ioc.rules.definition import AllOf, AnyOf, Condition, RateOfChange, Threshold, leaves

MAX_TERMS = 256
# Pairs of terms met at one step of an AND: the bound on the work of one decision.
MAX_PAIRS = 4096

INFINITY = math.inf


@dataclass(frozen=True, slots=True)
class Interval:
    """The values of one metric a term allows; an open end excludes its value."""

    low: float = -INFINITY
    low_closed: bool = False
    high: float = INFINITY
    high_closed: bool = False

    @property
    def empty(self) -> bool:
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def meet(self, other: Interval) -> Interval:
        if other.low > self.low or (other.low == self.low and not other.low_closed):
            low, low_closed = other.low, other.low_closed
        else:
            low, low_closed = self.low, self.low_closed
        if other.high < self.high or (other.high == self.high and not other.high_closed):
            high, high_closed = other.high, other.high_closed
        else:
            high, high_closed = self.high, self.high_closed
        return Interval(low, low_closed, high, high_closed)

    def sample(self) -> float:
        """A value inside the (non-empty) interval, for messages."""
        if math.isfinite(self.low) and math.isfinite(self.high):
            return (self.low + self.high) / 2
        if math.isfinite(self.low):
            return self.low if self.low_closed else self.low + 1
        if math.isfinite(self.high):
            return self.high if self.high_closed else self.high - 1
        return 0.0


# One AND of comparisons: metric -> the interval its value must lie in (a metric not named is free).
Term = dict[str, Interval]


class UndecidedError(Exception):
    """The condition rewrites into more than MAX_TERMS terms."""


def _interval(threshold: Threshold) -> Interval:
    if threshold.op == ">":
        return Interval(low=threshold.value)
    if threshold.op == ">=":
        return Interval(low=threshold.value, low_closed=True)
    if threshold.op == "<":
        return Interval(high=threshold.value)
    return Interval(high=threshold.value, high_closed=True)


def _meet(first: Term, second: Term) -> Term | None:
    """Both terms at once, or None when some metric has no value left."""
    met = dict(first)
    for metric, interval in second.items():
        both = met[metric].meet(interval) if metric in met else interval
        if both.empty:
            return None
        met[metric] = both
    return met


def _product(first: list[Term], second: list[Term]) -> list[Term]:
    if len(first) * len(second) > MAX_PAIRS:
        raise UndecidedError
    met = [both for a in first for b in second if (both := _meet(a, b)) is not None]
    if len(met) > MAX_TERMS:
        raise UndecidedError
    return met


def terms(condition: Condition) -> list[Term]:
    """The condition as an OR of satisfiable terms: empty when it can never hold. Raises UndecidedError."""
    if isinstance(condition, Threshold):
        return [{condition.metric: _interval(condition)}]
    if isinstance(condition, RateOfChange):
        return [{}]
    if isinstance(condition, AnyOf):
        alternatives = [term for part in condition.any for term in terms(part)]
        if len(alternatives) > MAX_TERMS:
            raise UndecidedError
        return alternatives
    assert isinstance(condition, AllOf)
    combined: list[Term] = [{}]
    for part in condition.all:
        combined = _product(combined, terms(part))
        if not combined:
            return []
    return combined


def can_hold(condition: Condition) -> bool:
    """False only when the condition can certainly never hold."""
    try:
        return bool(terms(condition))
    except UndecidedError:
        return True


def can_hold_with(condition: Condition, other: Condition) -> bool:
    """False only when `condition` can certainly never hold while `other` does."""
    try:
        return bool(_product(terms(other), terms(condition)))
    except UndecidedError:
        return True


def held_together(first: Condition, second: Condition) -> dict[str, float] | None:
    """Values of the metrics for which both conditions hold at once, or None when there are none or it is
    not decided. Only conditions of thresholds alone are judged: whether a rate of change holds depends on
    the values before, which a single reading does not show."""
    if any(isinstance(leaf, RateOfChange) for leaf in leaves(first) + leaves(second)):
        return None
    try:
        both = _product(terms(first), terms(second))
    except UndecidedError:
        return None
    if not both:
        return None
    return {metric: interval.sample() for metric, interval in sorted(both[0].items())}
