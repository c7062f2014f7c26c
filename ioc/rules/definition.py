"""What an alert rule says, as admins write it: the body of /api/v1/alert-rules and of each stored version.

A rule has a kind (telemetry, camera, silence, report_surge), a scope (units, device types, a zone), a
ladder of severities and a way of clearing. Conditions over metrics nest with `all` (AND) and `any` (OR):

    {"all": [{"metric": "level_cm", "op": ">", "value": 30},
             {"any": [{"metric": "rain_mm", "op": ">=", "value": 5},
                      {"metric": "level_cm", "rises_by": 10, "within_seconds": 600}]}]}

The checks here are the ones a single document can answer (shapes, ranges, hysteresis that can clear);
the ones that need the database or the vocabularies of other domains (units, categories, the province's
outline) are made by the service.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.reports.input_types import no_nul
from ioc.types import SEVERITY_RANK, RuleKind, Severity
from iot.types import CameraEventType, DeviceType

MAX_CONDITION_DEPTH = 4
MAX_CONDITION_LEAVES = 20
# A day: longer holds and windows are better written as reports than as alarms.
MAX_SECONDS = 86_400
ALARM_TYPE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"

Seconds = Annotated[int, Field(ge=0, le=MAX_SECONDS)]
PositiveSeconds = Annotated[int, Field(ge=1, le=MAX_SECONDS)]
MetricName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
FiniteNumber = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
# Names and descriptions are stored as text and JSON, neither of which can hold U+0000.
Text = Annotated[str, AfterValidator(no_nul)]

STRICT = ConfigDict(extra="forbid")


class Threshold(BaseModel):
    """`metric op value`, e.g. level_cm > 30."""

    model_config = STRICT

    metric: MetricName
    op: Literal[">", ">=", "<", "<="]
    value: FiniteNumber


class RateOfChange(BaseModel):
    """The metric rose (or fell) by at least `rises_by` (`falls_by`) within `within_seconds`."""

    model_config = STRICT

    metric: MetricName
    rises_by: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None
    falls_by: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None
    within_seconds: PositiveSeconds

    @model_validator(mode="after")
    def _one_direction(self) -> Self:
        if (self.rises_by is None) == (self.falls_by is None):
            raise ValueError("a rate of change gives exactly one of rises_by and falls_by")
        return self


class AllOf(BaseModel):
    """Every condition holds (AND)."""

    model_config = STRICT

    all: list[ConditionField] = Field(min_length=1, max_length=MAX_CONDITION_LEAVES)


class AnyOf(BaseModel):
    """At least one condition holds (OR)."""

    model_config = STRICT

    any: list[ConditionField] = Field(min_length=1, max_length=MAX_CONDITION_LEAVES)


Condition = Threshold | RateOfChange | AllOf | AnyOf


def _condition_tag(value: Any) -> str | None:
    """Which kind of condition a document is, from its keys, so that a mistake in one is reported for that
    kind alone rather than once for each kind it might have been."""
    if isinstance(value, BaseModel):
        return _CONDITION_TAGS.get(type(value))
    if not isinstance(value, dict):
        return None
    if "all" in value:
        return "all"
    if "any" in value:
        return "any"
    if "op" in value or "value" in value:
        return "threshold"
    if any(key in value for key in ("rises_by", "falls_by", "within_seconds")):
        return "rate_of_change"
    return None


_CONDITION_TAGS: dict[type[BaseModel], str] = {
    Threshold: "threshold",
    RateOfChange: "rate_of_change",
    AllOf: "all",
    AnyOf: "any",
}

# A Condition as a field of a model: the same four kinds, told apart by their keys.
ConditionField = Annotated[
    Annotated[Threshold, Tag("threshold")]
    | Annotated[RateOfChange, Tag("rate_of_change")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_kind",
        custom_error_message="a condition is {metric, op, value}, {metric, rises_by or falls_by, "
        "within_seconds}, {all: [...]} or {any: [...]}",
    ),
]


def leaves(condition: Condition) -> list[Threshold | RateOfChange]:
    if isinstance(condition, AllOf):
        return [leaf for part in condition.all for leaf in leaves(part)]
    if isinstance(condition, AnyOf):
        return [leaf for part in condition.any for leaf in leaves(part)]
    return [condition]


def depth(condition: Condition) -> int:
    if isinstance(condition, AllOf):
        return 1 + max(depth(part) for part in condition.all)
    if isinstance(condition, AnyOf):
        return 1 + max(depth(part) for part in condition.any)
    return 1


def metrics_of(condition: Condition) -> set[str]:
    return {leaf.metric for leaf in leaves(condition)}


def _check_tree(condition: Condition, what: str) -> None:
    if depth(condition) > MAX_CONDITION_DEPTH:
        raise ValueError(f"{what}: conditions nest at most {MAX_CONDITION_DEPTH} levels deep")
    if len(leaves(condition)) > MAX_CONDITION_LEAVES:
        raise ValueError(f"{what}: at most {MAX_CONDITION_LEAVES} comparisons")


class Zone(BaseModel):
    """A GeoJSON Polygon (lon, lat), one outer ring and optional holes; checked for validity and for lying
    inside the province by the service."""

    model_config = STRICT

    type: Literal["Polygon"]
    coordinates: list[
        Annotated[
            list[Annotated[list[FiniteNumber], Field(min_length=2, max_length=2)]],
            Field(min_length=4, max_length=1000),
        ]
    ] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _closed_rings(self) -> Self:
        for ring in self.coordinates:
            if ring[0] != ring[-1]:
                raise ValueError("each ring of the zone must end where it starts")
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError("zone coordinates are [lon, lat] in degrees")
        return self


class Scope(BaseModel):
    """Where the rule applies; every given part must match (no part: everywhere)."""

    model_config = STRICT

    unit_codes: list[Annotated[str, Field(pattern=r"^[0-9]{2}([0-9]{3})?$")]] | None = Field(
        default=None, min_length=1, max_length=200, description="Wards, or provinces for all their wards."
    )
    device_types: list[DeviceType] | None = Field(default=None, min_length=1)
    zone: Zone | None = None


class SeverityStep(BaseModel):
    """The alarm takes this severity once the rule's condition (and this step's own, if given) has held
    for `after_seconds`. Steps are tried from the most severe down, so a severity also steps down when its
    own condition eases."""

    model_config = STRICT

    severity: Severity
    after_seconds: Seconds = 0
    condition: ConditionField | None = Field(
        default=None, description="Telemetry rules only: a stricter condition for this severity."
    )


class Clearing(BaseModel):
    """When an active alarm clears by itself. Without any part, only an officer clears it."""

    model_config = STRICT

    condition: ConditionField | None = Field(
        default=None,
        description="Telemetry rules: clears once this holds for for_seconds (hysteresis: level_cm < 20).",
    )
    for_seconds: Seconds = 0
    absent_seconds: PositiveSeconds | None = Field(
        default=None,
        description="Clears once the trigger has been absent this long, even if the device went quiet.",
    )
    severities: list[Severity] | None = Field(
        default=None,
        min_length=1,
        description="Clear by itself only at these severities (e.g. never a critical one); default all.",
    )


class _Common(BaseModel):
    model_config = STRICT

    name: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)
    alarm_type: str = Field(pattern=ALARM_TYPE_PATTERN, description="e.g. flood, fire, air_quality.")
    scope: Scope = Field(default_factory=Scope)
    severities: list[SeverityStep] = Field(min_length=1, max_length=len(Severity))
    clear: Clearing = Field(default_factory=Clearing)

    # A field validator rather than a model one, so that its errors point at `severities`.
    @field_validator("severities")
    @classmethod
    def _ladder(cls, steps: list[SeverityStep]) -> list[SeverityStep]:
        seen = [step.severity for step in steps]
        if len(set(seen)) != len(seen):
            raise ValueError("severities: each severity at most once")
        ordered = sorted(steps, key=lambda step: step.after_seconds)
        if ordered[0].after_seconds != 0 and all(step.condition is None for step in ordered):
            raise ValueError("severities: the first step starts at after_seconds 0")
        ranks = [SEVERITY_RANK[step.severity] for step in ordered]
        if ranks != sorted(ranks):
            raise ValueError("severities: a later step must be at least as severe as an earlier one")
        return steps


class TelemetryRule(_Common):
    """A condition over one device's metrics, held for `for_seconds` before the alarm is raised."""

    kind: Literal[RuleKind.TELEMETRY]
    condition: ConditionField
    for_seconds: Seconds = 0

    @model_validator(mode="after")
    def _conditions(self) -> Self:
        _check_tree(self.condition, "condition")
        for step in self.severities:
            if step.condition is not None:
                _check_tree(step.condition, f"severities[{step.severity}].condition")
        if self.clear.condition is not None:
            _check_tree(self.clear.condition, "clear.condition")
            check_hysteresis(self.condition, self.clear.condition)
        return self

    def metrics(self) -> set[str]:
        names = metrics_of(self.condition)
        for step in self.severities:
            if step.condition is not None:
                names |= metrics_of(step.condition)
        if self.clear.condition is not None:
            names |= metrics_of(self.clear.condition)
        return names


class CameraRule(_Common):
    """A camera's detections of these types at or above `min_confidence`; after an alarm, detections within
    `cooldown_seconds` of the last one only count as repeats of it."""

    kind: Literal[RuleKind.CAMERA]
    detection_types: list[CameraEventType] = Field(min_length=1)
    min_confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    cooldown_seconds: Seconds = 300

    @model_validator(mode="after")
    def _camera_only(self) -> Self:
        if any(step.condition is not None for step in self.severities) or self.clear.condition is not None:
            raise ValueError("camera rules take no metric conditions")
        return self


class SilenceRule(_Common):
    """A device that sent nothing for its allowed interval plus `grace_seconds`, or whose MQTT last will
    said offline. Clears when the device speaks again."""

    kind: Literal[RuleKind.SILENCE]
    reasons: list[Literal["silence", "last_will"]] = Field(default=["silence", "last_will"], min_length=1)
    grace_seconds: Seconds = 0

    @model_validator(mode="after")
    def _no_conditions(self) -> Self:
        if any(step.condition is not None for step in self.severities) or self.clear.condition is not None:
            raise ValueError("silence rules take no metric conditions")
        return self


class ReportSurgeRule(_Common):
    """At least `min_reports` citizen reports of `category_code` within `radius_m` metres of each other
    within `window_seconds`."""

    kind: Literal[RuleKind.REPORT_SURGE]
    category_code: str = Field(
        pattern=CATEGORY_CODE_PATTERN, description="A report category (GET /api/v1/feedback/categories)."
    )
    min_reports: int = Field(ge=2, le=1000)
    radius_m: float = Field(gt=0, le=10_000, allow_inf_nan=False)
    window_seconds: PositiveSeconds

    @model_validator(mode="after")
    def _no_conditions(self) -> Self:
        if any(step.condition is not None for step in self.severities) or self.clear.condition is not None:
            raise ValueError("report surge rules take no metric conditions")
        if self.scope.device_types is not None:
            raise ValueError("report surge rules have no device types")
        return self


def _kind_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    # A str check first: the body may hold anything there, a list included, which no set can look up.
    return str(kind) if isinstance(kind, str) and kind in _KINDS else None


_KINDS = frozenset(kind.value for kind in RuleKind)

# Told apart by `kind`; a missing or unknown kind gets one error naming the kinds (not one per kind).
RuleDefinition = Annotated[
    Annotated[TelemetryRule, Tag(RuleKind.TELEMETRY.value)]
    | Annotated[CameraRule, Tag(RuleKind.CAMERA.value)]
    | Annotated[SilenceRule, Tag(RuleKind.SILENCE.value)]
    | Annotated[ReportSurgeRule, Tag(RuleKind.REPORT_SURGE.value)],
    Discriminator(
        _kind_tag,
        custom_error_type="rule_kind",
        custom_error_message="kind must be telemetry, camera, silence or report_surge",
    ),
]


def check_hysteresis(raise_when: Condition, clear_when: Condition) -> None:
    """Refuse a clearing condition that can never hold while the alarm does, on the simple and common
    shape: one threshold on a metric to raise, one opposite threshold on the same metric to clear.

    `level_cm > 30`, cleared by `level_cm < 20`, is a proper band; cleared by `level_cm < 40` it would
    clear while still over 30, and cleared by `level_cm > 20` it never eases at all.
    """
    if not isinstance(raise_when, Threshold) or not isinstance(clear_when, Threshold):
        return
    if raise_when.metric != clear_when.metric:
        return
    upward = raise_when.op in (">", ">=")
    clear_upward = clear_when.op in (">", ">=")
    if upward == clear_upward:
        raise ValueError(
            f"clear.condition must go the other way from the condition ({raise_when.metric} "
            f"{raise_when.op} {raise_when.value} cannot be cleared by {clear_when.op} {clear_when.value})"
        )
    if upward and clear_when.value > raise_when.value:
        raise ValueError(
            f"clear.condition: {raise_when.metric} {clear_when.op} {clear_when.value} is above the raising "
            f"threshold {raise_when.value}"
        )
    if not upward and clear_when.value < raise_when.value:
        raise ValueError(
            f"clear.condition: {raise_when.metric} {clear_when.op} {clear_when.value} is below the raising "
            f"threshold {raise_when.value}"
        )


def holds(
    condition: Condition, values: dict[str, float], moves: dict[tuple[str, int], tuple[float, float]]
) -> bool:
    """Whether a condition holds for a device's current values.

    `moves[(metric, within_seconds)]` is (rise, fall) over that window: the latest value minus the lowest
    in the window, and the highest minus the latest. A metric the device has not sent makes its comparison
    false.
    """
    if isinstance(condition, AllOf):
        return all(holds(part, values, moves) for part in condition.all)
    if isinstance(condition, AnyOf):
        return any(holds(part, values, moves) for part in condition.any)
    if isinstance(condition, Threshold):
        value = values.get(condition.metric)
        if value is None or not math.isfinite(value):
            return False
        if condition.op == ">":
            return value > condition.value
        if condition.op == ">=":
            return value >= condition.value
        if condition.op == "<":
            return value < condition.value
        return value <= condition.value
    moved = moves.get((condition.metric, condition.within_seconds))
    if moved is None:
        return False
    rise, fall = moved
    if condition.rises_by is not None:
        return rise >= condition.rises_by
    return condition.falls_by is not None and fall >= condition.falls_by


AllOf.model_rebuild()
AnyOf.model_rebuild()
SeverityStep.model_rebuild()
Clearing.model_rebuild()
TelemetryRule.model_rebuild()
