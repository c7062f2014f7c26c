"""Events about reports for the IOC's live channel (topic "feedback").

Only staff of the report's unit receive these, yet they carry no reporter identity either: a wall display
in an operations room is not a private screen.

Types: feedback.created, feedback.status_changed, feedback.reassigned, feedback.deadline_extended,
feedback.merged, feedback.supported, feedback.due_soon, feedback.overdue, feedback.rated.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit, new_event
from feedback.reports.models import Report
from mobile_contract.events import LatLon


def report_location(report: Report) -> LatLon:
    """The report's point; `location` holds a WKB or WKT element, whether loaded or freshly built."""
    point = to_shape(report.location)
    return LatLon(lat=point.y, lon=point.x)


def report_summary(report: Report) -> dict[str, Any]:
    """What every feedback event says about its report."""
    return {
        "code": report.code,
        "category_code": report.category_code,
        "status": str(report.status),
        "sla_state": str(report.sla_state),
        "urgent": report.urgent,
        "is_public": report.is_public,
        "unit_code": report.unit_code,
        "department_code": report.department_code,
        "resolve_due_at": report.resolve_due_at.isoformat(),
        "support_count": report.support_count,
    }


async def emit_report_event(
    session: AsyncSession, type_: str, report: Report, extra: dict[str, Any] | None = None
) -> None:
    """Add a feedback.* event about `report` to the caller's transaction."""
    data = report_summary(report) | (extra or {})
    await emit(
        session,
        new_event(
            type_,
            unit_code=report.unit_code,
            subject_id=str(report.id),
            data=data,
            location=report_location(report),
        ),
    )
