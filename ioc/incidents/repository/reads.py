"""Reading incidents: one summary, a page of them, an incident's members, and what a hand link needs to
know of one alarm or report."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBox
from core.cursor import Cursor, fetch_limit
from core.identity.scope import UnitScope
from ioc.incidents.models import Incident
from ioc.incidents.types import MemberKind, MemberRef

# The columns of a summary, as every read and every change returns them (table alias `i`).
SUMMARY_COLUMNS = """
    i.id, i.code, i.status, i.unit_code, i.lead_alarm_id, i.severity, i.title_vi, i.title_en, i.alarm_count,
    i.report_count, i.first_seen_at, i.last_seen_at, i.created_at, i.updated_at, i.closed_at, i.close_reason,
    ST_AsGeoJSON(i.footprint, 6) AS footprint, ST_Y(ST_PointOnSurface(i.footprint)) AS lat,
    ST_X(ST_PointOnSurface(i.footprint)) AS lon"""

_ONE = text(f"SELECT {SUMMARY_COLUMNS} FROM incidents i WHERE i.id = :id")  # noqa: S608  (constants)


async def summary(session: AsyncSession, incident_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (await session.execute(_ONE, {"id": incident_id})).first()
    return row


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[str, ...] = ()
    unit_codes: tuple[str, ...] = ()
    bbox: BBox | None = None
    seen_from: datetime | None = None
    seen_to: datetime | None = None


def _summary_select() -> Any:
    table = Incident.__table__.alias("i")  # type: ignore[attr-defined]
    c = table.c
    point = func.ST_PointOnSurface(c.footprint)
    columns = [
        c[name]
        for name in [
            "id",
            "code",
            "status",
            "unit_code",
            "lead_alarm_id",
            "severity",
            "title_vi",
            "title_en",
            "alarm_count",
            "report_count",
            "first_seen_at",
            "last_seen_at",
            "created_at",
            "updated_at",
            "closed_at",
            "close_reason",
        ]
    ]
    return table, select(
        *columns,
        func.ST_AsGeoJSON(c.footprint, 6).label("footprint"),
        func.ST_Y(point).label("lat"),
        func.ST_X(point).label("lon"),
    )


async def page(
    session: AsyncSession, scope: UnitScope, filters: IncidentFilter, position: Cursor | None, limit: int
) -> Sequence[Row[Any]]:
    """Summary rows, newest first from after `position` (keyset on created_at, id); fetch_limit(limit)."""
    table, query = _summary_select()
    c = table.c
    if not scope.all_units:
        query = query.where(c.unit_code.in_(sorted(scope.codes)))
    if filters.statuses:
        query = query.where(c.status.in_(filters.statuses))
    if filters.unit_codes:
        query = query.where(c.unit_code.in_(filters.unit_codes))
    if filters.bbox is not None:
        box = filters.bbox
        envelope = func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
        query = query.where(func.ST_Intersects(c.footprint, envelope))
    # Seen within the period: the incident's span [first seen, last seen] overlaps it.
    if filters.seen_from is not None:
        query = query.where(c.last_seen_at >= filters.seen_from)
    if filters.seen_to is not None:
        query = query.where(c.first_seen_at <= filters.seen_to)
    if position is not None:
        query = query.where(
            or_(c.created_at < position.at, and_(c.created_at == position.at, c.id < position.id))
        )
    query = query.order_by(c.created_at.desc(), c.id.desc()).limit(fetch_limit(limit))
    rows: Sequence[Row[Any]] = (await session.execute(query)).all()
    return rows


_ALARMS = text("""
SELECT a.id, a.type, a.severity, a.status, a.title_vi, a.title_en, a.unit_code, a.raised_at, a.last_seen_at,
       a.cleared_at, ST_Y(a.location) AS lat, ST_X(a.location) AS lon, m.linked_at, m.linked_by
FROM incident_members m JOIN alarms a ON a.id = m.member_id
WHERE m.incident_id = :id AND m.member_kind = 'alarm' AND m.unlinked_at IS NULL
ORDER BY a.raised_at, a.id
""")

# No reporter, no description: what the incident needs of a report is where, what and how far along.
_REPORTS = text("""
SELECT r.id, r.code, r.category_code, r.status, r.unit_code, r.created_at, ST_Y(r.location) AS lat,
       ST_X(r.location) AS lon, m.linked_at, m.linked_by
FROM incident_members m JOIN feedback_reports r ON r.id = m.member_id
WHERE m.incident_id = :id AND m.member_kind = 'report' AND m.unlinked_at IS NULL
ORDER BY r.created_at, r.id
""")


async def member_alarms(session: AsyncSession, incident_id: uuid.UUID) -> Sequence[Row[Any]]:
    return (await session.execute(_ALARMS, {"id": incident_id})).all()


async def member_reports(session: AsyncSession, incident_id: uuid.UUID) -> Sequence[Row[Any]]:
    return (await session.execute(_REPORTS, {"id": incident_id})).all()


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """One alarm or report as a hand link sees it: its unit and the open incident it is in, if any."""

    member: MemberRef
    unit_code: str
    incident_id: uuid.UUID | None


_OPEN_MEMBERSHIP = """(
    SELECT m.incident_id FROM incident_members m
    WHERE m.member_kind = :kind AND m.member_id = t.id AND m.unlinked_at IS NULL AND m.incident_open
) AS incident_id"""
_ALARM_INFO = text(f"SELECT t.unit_code, {_OPEN_MEMBERSHIP} FROM alarms t WHERE t.id = :id")  # noqa: S608
_REPORT_INFO = text(f"SELECT t.unit_code, {_OPEN_MEMBERSHIP} FROM feedback_reports t WHERE t.id = :id")  # noqa: S608


async def member_info(session: AsyncSession, member: MemberRef) -> MemberInfo | None:
    statement = _ALARM_INFO if member.kind is MemberKind.ALARM else _REPORT_INFO
    row = (await session.execute(statement, {"id": member.id, "kind": member.kind.value})).first()
    if row is None:
        return None
    return MemberInfo(member=member, unit_code=row.unit_code, incident_id=row.incident_id)
