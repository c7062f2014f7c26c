"""What the alert-rule routes read and answer: a rule with its current definition, its versions, pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from feedback.reports.input_types import no_nul
from ioc.rules.definition import RuleDefinition
from ioc.types import RuleKind

Note = Annotated[str, AfterValidator(no_nul), Field(min_length=1, max_length=1000)]

# The five shapes of rule an admin writes most, shown in the document and created by the tests as they are.
FLOOD_WITH_HYSTERESIS: dict[str, Any] = {
    "kind": "telemetry",
    "name": "Ngập đường / Street flooding",
    "alarm_type": "flood",
    "scope": {
        "device_types": ["water_level"],
        "zone": {
            "type": "Polygon",
            "coordinates": [
                [[106.16, 20.42], [106.19, 20.42], [106.19, 20.44], [106.16, 20.44], [106.16, 20.42]]
            ],
        },
    },
    "condition": {"metric": "level_cm", "op": ">", "value": 30},
    "for_seconds": 300,
    "severities": [{"severity": "major"}],
    "clear": {"condition": {"metric": "level_cm", "op": "<", "value": 20}, "for_seconds": 120},
}
ESCALATING_AIR_QUALITY: dict[str, Any] = {
    "kind": "telemetry",
    "name": "Bụi mịn PM2.5 / Fine dust PM2.5",
    "alarm_type": "air_quality",
    "scope": {"unit_codes": ["37"], "device_types": ["air_quality"]},
    "condition": {
        "any": [
            {"metric": "pm25", "op": ">", "value": 55},
            {"metric": "pm25", "rises_by": 50, "within_seconds": 600},
        ]
    },
    "severities": [
        {"severity": "warning"},
        {"severity": "critical", "after_seconds": 600},
        {"severity": "major", "after_seconds": 0, "condition": {"metric": "pm25", "op": ">", "value": 150}},
    ],
    "clear": {
        "condition": {"metric": "pm25", "op": "<", "value": 35},
        "for_seconds": 300,
        "severities": ["warning", "major"],
    },
}
CAMERA_FIRE: dict[str, Any] = {
    "kind": "camera",
    "name": "Cháy, khói / Fire or smoke",
    "alarm_type": "fire",
    "scope": {"device_types": ["camera_security"]},
    "detection_types": ["fire", "smoke"],
    "min_confidence": 0.8,
    "cooldown_seconds": 300,
    "severities": [{"severity": "critical"}],
    "clear": {"absent_seconds": 900},
}
SILENT_GAUGE: dict[str, Any] = {
    "kind": "silence",
    "name": "Trạm đo mực nước mất tín hiệu / Water gauge silent",
    "alarm_type": "device_offline",
    "scope": {"device_types": ["water_level"]},
    "reasons": ["silence", "last_will"],
    "grace_seconds": 120,
    "severities": [{"severity": "minor"}],
}
FLOODING_REPORTS: dict[str, Any] = {
    "kind": "report_surge",
    "name": "Nhiều phản ánh ngập / Many flooding reports",
    "alarm_type": "flood_reports",
    "scope": {"unit_codes": ["13666"]},
    "category_code": "flooding",
    "min_reports": 5,
    "radius_m": 300,
    "window_seconds": 1800,
    "severities": [{"severity": "major"}],
}
EXAMPLES = [FLOOD_WITH_HYSTERESIS, ESCALATING_AIR_QUALITY, CAMERA_FIRE, SILENT_GAUGE, FLOODING_REPORTS]
_CREATE_EXAMPLES: list[Any] = [
    {"definition": EXAMPLES[0], "note": "Ngưỡng theo quy định của tỉnh"},
    *[{"definition": example} for example in EXAMPLES[1:]],
]
_REPLACE_EXAMPLES: list[Any] = [
    {
        "definition": {**FLOOD_WITH_HYSTERESIS, "condition": {"metric": "level_cm", "op": ">", "value": 25}},
        "note": "Hạ ngưỡng xuống 25 cm",
    }
]


class RuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": _CREATE_EXAMPLES},
    )

    definition: RuleDefinition
    enabled: bool = Field(default=True, description="A disabled rule is kept but never evaluated.")
    note: Note | None = Field(default=None, description="Why the rule exists; shown in its history.")


class RuleReplace(BaseModel):
    """A whole new definition: it becomes the rule's next version. The kind stays the rule's own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": _REPLACE_EXAMPLES},
    )

    definition: RuleDefinition
    note: Note | None = Field(default=None, description="Why it changed; shown in the rule's history.")


class RuleRead(BaseModel):
    id: uuid.UUID
    kind: RuleKind
    enabled: bool
    current_version: int = Field(description='Also the ETag of the rule: "v{current_version}".')
    definition: RuleDefinition = Field(description="The current version's definition.")
    created_at: datetime
    created_by: uuid.UUID
    updated_at: datetime = Field(description="The last change of any kind: a version, enabling, disabling.")


class RulePage(BaseModel):
    items: list[RuleRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RuleVersionRead(BaseModel):
    rule_id: uuid.UUID
    version: int
    definition: RuleDefinition
    created_at: datetime
    created_by: uuid.UUID = Field(description="The admin who wrote this version.")
    note: str | None


class RuleVersionPage(BaseModel):
    items: list[RuleVersionRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """The rule list's filters; empty ones do not filter."""

    kind: str | None = None
    enabled: bool | None = None
    alarm_type: str | None = None
    # Rules that apply in this unit: scoped to it or to its province, or not scoped by unit at all.
    unit_code: str | None = None
