"""The checks a rule's definition passes before it is stored, beyond its pydantic model: metrics and device
types that fit together, conditions that can hold and clear, a ladder whose clearing names its own
severities, units and categories that exist, a zone that is a valid polygon inside the province.

Each refusal is a 422 with its own code and an `errors` item pointing at the part of the body at fault
(`definition/scope/zone`...), in the shape of every other 422 of the API. Nothing is written here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError, invalid_value
from feedback.catalogue.repository import get_active_category
from ioc.rules import conditions
from ioc.rules.definition import (
    CameraRule,
    Condition,
    ReportSurgeRule,
    Scope,
    SilenceRule,
    TelemetryRule,
    Zone,
    metrics_of,
)
from ioc.rules.repository import definitions as repository
from ioc.types import Severity
from iot.types import CAMERA_TYPES, KNOWN_METRICS

# One validated definition (what RuleDefinition parses into).
Rule = TelemetryRule | CameraRule | SilenceRule | ReportSurgeRule


def refuse(code: str, path: Sequence[str | int], message: Message) -> ProblemError:
    """A 422 about one part of the definition, `path` inside it."""
    return invalid_value(["body", "definition", *path], message, code=code, type_=code)


def zone_wkt(zone: Zone) -> str:
    rings = ", ".join(
        "(" + ", ".join(f"{lon!r} {lat!r}" for lon, lat in ring) + ")" for ring in zone.coordinates
    )
    return f"POLYGON({rings})"


async def check_definition(session: AsyncSession, definition: Rule) -> None:
    """Raise the first problem found, the document's own checks before those that ask the database."""
    if isinstance(definition, TelemetryRule):
        check_metrics(definition)
        check_conditions(definition)
    if isinstance(definition, CameraRule):
        check_camera_types(definition.scope)
    check_clearing_severities([step.severity for step in definition.severities], definition.clear.severities)
    if isinstance(definition, ReportSurgeRule):
        await check_category(session, definition.category_code)
    await check_scope(session, definition.scope)


def _listed(names: Sequence[str] | set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(names))


def _conditions_of(rule: TelemetryRule) -> list[tuple[list[str | int], Condition]]:
    """Each condition of the rule with where it is in the definition."""
    found: list[tuple[list[str | int], Condition]] = [(["condition"], rule.condition)]
    found += [
        (["severities", index, "condition"], step.condition)
        for index, step in enumerate(rule.severities)
        if step.condition is not None
    ]
    if rule.clear.condition is not None:
        found.append((["clear", "condition"], rule.clear.condition))
    return found


def check_metrics(rule: TelemetryRule) -> None:
    """Each metric must be reported by every listed device type, or by some type when none is listed: a
    rule must not wait forever for a value no device it watches sends."""
    named = rule.metrics()
    types = rule.scope.device_types
    if types is None:
        known = set().union(*KNOWN_METRICS.values())
        for path, condition in _conditions_of(rule):
            unknown = metrics_of(condition) - known
            if unknown:
                raise refuse(
                    "unknown_metric",
                    path,
                    Message(
                        f"Không loại thiết bị nào đo chỉ số {_listed(unknown)}",
                        f"No type of device reports {_listed(unknown)}",
                    ),
                )
        return
    gaps = {device_type: named - KNOWN_METRICS[device_type] for device_type in types}
    gaps = {device_type: missing for device_type, missing in gaps.items() if missing}
    if gaps:
        said = "; ".join(
            f"{device_type.value} has no {_listed(missing)}" for device_type, missing in gaps.items()
        )
        said_vi = "; ".join(
            f"{device_type.value} không đo {_listed(missing)}" for device_type, missing in gaps.items()
        )
        raise refuse(
            "unknown_metric",
            ["scope", "device_types"],
            Message(
                f"Chỉ số không có ở loại thiết bị được chọn: {said_vi}",
                f"Metrics the listed device types do not report: {said}",
            ),
        )


def check_camera_types(scope: Scope) -> None:
    for index, device_type in enumerate(scope.device_types or ()):
        if device_type not in CAMERA_TYPES:
            cameras = _listed({str(kind.value) for kind in CAMERA_TYPES})
            raise refuse(
                "device_type_not_allowed",
                ["scope", "device_types", index],
                Message(
                    f"Quy tắc camera chỉ áp dụng cho camera ({cameras}), không cho {device_type.value}",
                    f"A camera rule watches cameras only ({cameras}), not {device_type.value}",
                ),
            )


def check_conditions(rule: TelemetryRule) -> None:
    """The raising condition can hold, each severity's own condition can hold with it, the clearing
    condition can hold, and, where it can be decided, never while the raising condition still does."""
    if not conditions.can_hold(rule.condition):
        raise refuse(
            "impossible_condition",
            ["condition"],
            Message(
                "Điều kiện mâu thuẫn, không bao giờ đúng (ví dụ: > 30 và < 20 cùng lúc)",
                "The condition contradicts itself and can never hold (e.g. > 30 and < 20 at once)",
            ),
        )
    for index, step in enumerate(rule.severities):
        if step.condition is not None and not conditions.can_hold_with(step.condition, rule.condition):
            raise refuse(
                "impossible_condition",
                ["severities", index, "condition"],
                Message(
                    f"Điều kiện của mức {step.severity.value} không bao giờ đúng cùng điều kiện của quy tắc",
                    f"The condition of severity {step.severity.value} can never hold with the rule's "
                    "condition",
                ),
            )
    clearing = rule.clear.condition
    if clearing is None:
        return
    if not conditions.can_hold(clearing):
        raise refuse(
            "impossible_clearing",
            ["clear", "condition"],
            Message(
                "Điều kiện kết thúc mâu thuẫn, cảnh báo sẽ không bao giờ tự kết thúc",
                "The clearing condition contradicts itself: the alarm would never clear",
            ),
        )
    both = conditions.held_together(rule.condition, clearing)
    if both is not None:
        values = ", ".join(f"{metric} = {value:g}" for metric, value in both.items())
        raise refuse(
            "clearing_overlaps",
            ["clear", "condition"],
            Message(
                f"Với {values}, điều kiện cảnh báo và điều kiện kết thúc cùng đúng: cảnh báo sẽ kết thúc "
                "khi vẫn còn nguyên nhân; hãy để một khoảng cách giữa hai ngưỡng",
                f"With {values} both the condition and the clearing condition hold: the alarm would clear "
                "while its cause remains; leave a band between the two thresholds",
            ),
        )


def check_clearing_severities(ladder: Sequence[Severity], clearing: Sequence[Severity] | None) -> None:
    """`clear.severities` names severities of the ladder, each once."""
    if clearing is None:
        return
    for index, severity in enumerate(clearing):
        if severity not in ladder:
            raise refuse(
                "invalid_severities",
                ["clear", "severities", index],
                Message(
                    f"Mức {severity.value} không có trong các mức độ của quy tắc ({_listed(ladder)})",
                    f"Severity {severity.value} is not one of the rule's severities ({_listed(ladder)})",
                ),
            )
        if severity in clearing[:index]:
            raise refuse(
                "invalid_severities",
                ["clear", "severities", index],
                Message(
                    f"Mức {severity.value} được nêu hai lần", f"Severity {severity.value} is listed twice"
                ),
            )


async def check_category(session: AsyncSession, code: str) -> None:
    if await get_active_category(session, code) is None:
        raise refuse(
            "category_not_found",
            ["category_code"],
            Message(
                f"Không có loại phản ánh {code} (hoặc loại này không còn được dùng)",
                f"There is no report category {code} (or it is no longer in use)",
            ),
        )


async def check_scope(session: AsyncSession, scope: Scope) -> None:
    if scope.unit_codes is not None:
        missing = await repository.missing_units(session, scope.unit_codes)
        if missing:
            raise refuse(
                "unit_not_found",
                ["scope", "unit_codes", scope.unit_codes.index(missing[0])],
                Message(
                    f"Không có đơn vị hành chính mã {', '.join(missing)}",
                    f"No administrative unit has the code {', '.join(missing)}",
                ),
            )
    if scope.zone is None:
        return
    wkt = zone_wkt(scope.zone)
    valid, reason = await repository.zone_validity(session, wkt)
    if not valid:
        raise refuse(
            "invalid_zone",
            ["scope", "zone"],
            Message(
                f"Vùng áp dụng không phải đa giác hợp lệ (cạnh tự cắt nhau hoặc suy biến): {reason}",
                f"The zone is not a valid polygon (its edges cross or it is degenerate): {reason}",
            ),
        )
    if not await repository.zone_in_provinces(session, wkt):
        raise refuse(
            "outside_province",
            ["scope", "zone"],
            Message("Vùng áp dụng nằm ngoài địa bàn tỉnh", "The zone is not inside the province"),
        )
    if scope.unit_codes is not None and not await repository.zone_meets_units(session, wkt, scope.unit_codes):
        raise refuse(
            "zone_outside_units",
            ["scope", "zone"],
            Message(
                "Vùng áp dụng không chạm đơn vị nào trong unit_codes: quy tắc sẽ không áp dụng ở đâu cả",
                "The zone touches none of the unit_codes: the rule would apply nowhere",
            ),
        )
