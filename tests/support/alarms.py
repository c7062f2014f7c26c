"""Rules, devices and alarms for tests of the operations centre, written straight into the test's session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from ioc.alarms.models import Alarm
from ioc.rules.definition import RuleDefinition
from ioc.rules.models import AlertRule, AlertRuleVersion
from ioc.types import AlarmStatus, Severity, SourceKind
from iot.registry.models import Device

# A point inside ward 13666 (Phường Nam Định) of the demo province.
NAM_DINH = (106.1711, 20.4316)

DEFINITION: TypeAdapter[Any] = TypeAdapter(RuleDefinition)

FLOOD_RULE: dict[str, Any] = {
    "kind": "telemetry",
    "name": "Ngập đường / Street flooding",
    "alarm_type": "flood",
    "scope": {"device_types": ["water_level"]},
    "condition": {"metric": "level_cm", "op": ">", "value": 30},
    "for_seconds": 0,
    "severities": [{"severity": "warning"}, {"severity": "critical", "after_seconds": 600}],
    "clear": {"condition": {"metric": "level_cm", "op": "<", "value": 20}, "for_seconds": 120},
}


async def make_rule(
    session: AsyncSession, created_by: uuid.UUID, definition: dict[str, Any] | None = None
) -> AlertRuleVersion:
    """A rule at version 1 (FLOOD_RULE unless told otherwise), as the rules routes would store it."""
    checked = DEFINITION.validate_python(definition or FLOOD_RULE)
    rule = AlertRule(kind=str(checked.kind), current_version=1, enabled=True, created_by=created_by)
    session.add(rule)
    await session.flush()
    version = AlertRuleVersion(
        rule_id=rule.id,
        version=1,
        definition=checked.model_dump(mode="json"),
        name=checked.name,
        alarm_type=checked.alarm_type,
        unit_codes=checked.scope.unit_codes,
        device_types=None
        if checked.scope.device_types is None
        else [str(t) for t in checked.scope.device_types],
        created_by=created_by,
    )
    session.add(version)
    await session.flush()
    return version


async def make_device(
    session: AsyncSession,
    *,
    type_: str = "water_level",
    lon: float = NAM_DINH[0],
    lat: float = NAM_DINH[1],
    ward_code: str | None = "13666",
    province_code: str = "37",
) -> Device:
    device = Device(
        type=type_,
        name=f"Thiết bị {uuid.uuid4().hex[:6]}",
        location=f"SRID=4326;POINT({lon} {lat})",
        ward_code=ward_code,
        province_code=province_code,
    )
    session.add(device)
    await session.flush()
    return device


async def make_alarm(
    session: AsyncSession,
    rule: AlertRuleVersion,
    *,
    unit_code: str = "13666",
    severity: Severity = Severity.WARNING,
    device: Device | None = None,
    lon: float = NAM_DINH[0],
    lat: float = NAM_DINH[1],
    raised_at: datetime | None = None,
    source_key: str | None = None,
) -> Alarm:
    """An active, unacknowledged alarm of `rule` (with no timeline entry: add one if the test needs it)."""
    moment = raised_at or datetime.now(UTC)
    alarm = Alarm(
        rule_id=rule.rule_id,
        rule_version=rule.version,
        source_kind=SourceKind.DEVICE.value,
        source_key=source_key or (str(device.id) if device is not None else uuid.uuid4().hex),
        device_id=None if device is None else device.id,
        unit_code=unit_code,
        location=f"SRID=4326;POINT({lon} {lat})",
        type=rule.alarm_type,
        severity=severity.value,
        status=AlarmStatus.ACTIVE_UNACKNOWLEDGED.value,
        title_vi=rule.name,
        title_en=rule.name,
        raised_at=moment,
        last_seen_at=moment,
    )
    session.add(alarm)
    await session.flush()
    return alarm
