"""A rule version made ready for evaluation: its definition parsed once, with what every message would
otherwise recompute (the ladder in order, the metrics it reads, the windows of its rates of change, how it
clears by itself).

Built by the catalogue when rules are loaded, never per message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from pydantic import TypeAdapter

from ioc.rules.definition import (
    CameraRule,
    RateOfChange,
    ReportSurgeRule,
    RuleDefinition,
    SeverityStep,
    SilenceRule,
    TelemetryRule,
    leaves,
)
from ioc.rules.predicates import Predicate, predicate
from ioc.types import SEVERITY_RANK, RuleKind, Severity

DEFINITION: Final[TypeAdapter[TelemetryRule | CameraRule | SilenceRule | ReportSurgeRule]] = TypeAdapter(
    RuleDefinition
)
# "Ngập đường / Street flooding": a name written as "Vietnamese / English" gives both titles.
TITLE_SEPARATOR: Final = " / "

Definition = TelemetryRule | CameraRule | SilenceRule | ReportSurgeRule


@dataclass(frozen=True, slots=True)
class Compiled:
    id: uuid.UUID
    version: int
    definition: Definition
    # The ladder from the most severe step down (the order it is tried in).
    ladder: tuple[SeverityStep, ...]
    # Metrics the rule reads; with more than one, the last value of each is kept between messages.
    metrics: frozenset[str]
    # Every (metric, within_seconds) a rate of change asks about, and the longest window per metric.
    rates: tuple[tuple[str, int], ...]
    windows: dict[str, int]
    # Per metric read by a rate of change: whether a rise, a fall is asked about (what its buckets keep).
    sides: dict[str, tuple[bool, bool]]
    # Seconds without the trigger after which the alarm clears (None: not by absence).
    absent_seconds: int | None
    # Severities at which the alarm may clear by itself (None: all).
    self_clearing: frozenset[str] | None
    title_vi: str
    title_en: str
    # A telemetry rule's conditions as functions (ioc.rules.predicates): raising, clearing, and each ladder
    # step's own condition in ladder order (None: the step has none).
    raising: Predicate | None = None
    clearing: Predicate | None = None
    step_tests: tuple[Predicate | None, ...] = ()

    @property
    def kind(self) -> RuleKind:
        return RuleKind(self.definition.kind)

    @property
    def multi_metric(self) -> bool:
        return len(self.metrics) > 1

    def may_clear_at(self, severity: str | None) -> bool:
        return self.self_clearing is None or severity is None or severity in self.self_clearing


def compile_rule(rule_id: uuid.UUID, version: int, definition: Definition | dict[str, Any]) -> Compiled:
    checked = definition if not isinstance(definition, dict) else DEFINITION.validate_python(definition)
    ladder = tuple(sorted(checked.severities, key=lambda step: -SEVERITY_RANK[Severity(step.severity)]))
    metrics: frozenset[str] = frozenset()
    rates: list[tuple[str, int]] = []
    sides: dict[str, tuple[bool, bool]] = {}
    if isinstance(checked, TelemetryRule):
        metrics = frozenset(checked.metrics())
        conditions = [checked.condition, checked.clear.condition]
        conditions += [step.condition for step in checked.severities]
        for condition in conditions:
            if condition is None:
                continue
            for leaf in leaves(condition):
                if not isinstance(leaf, RateOfChange):
                    continue
                if (leaf.metric, leaf.within_seconds) not in rates:
                    rates.append((leaf.metric, leaf.within_seconds))
                rises, falls = sides.get(leaf.metric, (False, False))
                sides[leaf.metric] = (rises or leaf.rises_by is not None, falls or leaf.falls_by is not None)
    windows: dict[str, int] = {}
    for metric, within in rates:
        windows[metric] = max(windows.get(metric, 0), within)
    absent = checked.clear.absent_seconds
    if absent is None and isinstance(checked, CameraRule):
        # A camera's alarm lasts while detections keep coming: by default, as long as its cool-down.
        absent = max(1, checked.cooldown_seconds)
    if absent is None and isinstance(checked, ReportSurgeRule):
        absent = checked.window_seconds
    clearing = checked.clear.severities
    title_vi, title_en = titles(checked.name)
    tests: dict[str, Any] = {}
    if isinstance(checked, TelemetryRule):
        clear_when = checked.clear.condition
        tests["raising"] = predicate(checked.condition)
        tests["clearing"] = None if clear_when is None else predicate(clear_when)
        if any(step.condition is not None for step in ladder):
            tests["step_tests"] = tuple(
                None if st.condition is None else predicate(st.condition) for st in ladder
            )
    return Compiled(
        id=rule_id,
        version=version,
        definition=checked,
        ladder=ladder,
        metrics=metrics,
        rates=tuple(rates),
        windows=windows,
        sides=sides,
        absent_seconds=absent,
        self_clearing=None if clearing is None else frozenset(str(s) for s in clearing),
        title_vi=title_vi,
        title_en=title_en,
        **tests,
    )


def titles(name: str) -> tuple[str, str]:
    """The alarm's titles from the rule's name: "vi / en" when written so, else the name twice."""
    parts = name.split(TITLE_SEPARATOR)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(), parts[1].strip()
    return name, name
