"""All SQL of the report KPIs: the counts over the reports a KPI request covers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.reports.models import Report
from feedback.reports.status import OPEN_STATUSES, ReportStatus


@dataclass(frozen=True, slots=True)
class KpiScope:
    """Which reports are counted: responsible unit in `units` (None: any) and in `under` (None: any),
    of the category, filed in [date_from, date_to)."""

    units: Sequence[str] | None = None
    under: Sequence[str] | None = None
    category_code: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class KpiCounts:
    total: int
    open: int
    overdue_open: int
    resolved_on_time: int
    resolved_late: int
    acknowledged_on_time: int
    acknowledged_late: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    ratings: dict[str, int]


def _conditions(scope: KpiScope) -> list[Any]:
    conditions: list[Any] = []
    if scope.units is not None:
        conditions.append(col(Report.unit_code).in_(list(scope.units)))
    if scope.under is not None:
        conditions.append(col(Report.unit_code).in_(list(scope.under)))
    if scope.category_code is not None:
        conditions.append(col(Report.category_code) == scope.category_code)
    if scope.date_from is not None:
        conditions.append(col(Report.created_at) >= scope.date_from)
    if scope.date_to is not None:
        conditions.append(col(Report.created_at) < scope.date_to)
    return conditions


async def _grouped(session: AsyncSession, column: Any, conditions: list[Any]) -> dict[str, int]:
    rows = await session.execute(
        select(column, func.count()).where(*conditions, column.is_not(None)).group_by(column).order_by(column)
    )
    return {str(key): int(count) for key, count in rows.all()}


async def count_reports(session: AsyncSession, scope: KpiScope, *, now: datetime) -> KpiCounts:
    """The counts; "overdue" is judged at `now` against each open report's current deadline."""
    conditions = _conditions(scope)
    is_open = col(Report.status).in_([str(s) for s in OPEN_STATUSES])
    deadline = case(
        (col(Report.status) == str(ReportStatus.SUBMITTED), col(Report.acknowledge_due_at)),
        else_=col(Report.resolve_due_at),
    )
    resolved = col(Report.resolved_at)
    acknowledged = col(Report.acknowledged_at)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(is_open),
                func.count().filter(and_(is_open, deadline < now)),
                func.count().filter(resolved <= col(Report.resolve_due_at)),
                func.count().filter(resolved > col(Report.resolve_due_at)),
                func.count().filter(acknowledged <= col(Report.acknowledge_due_at)),
                func.count().filter(acknowledged > col(Report.acknowledge_due_at)),
            ).where(*conditions)
        )
    ).one()
    total, open_, overdue, on_time, late, ack_on_time, ack_late = (int(value) for value in row)
    return KpiCounts(
        total=total,
        open=open_,
        overdue_open=overdue,
        resolved_on_time=on_time,
        resolved_late=late,
        acknowledged_on_time=ack_on_time,
        acknowledged_late=ack_late,
        by_status=await _grouped(session, col(Report.status), conditions),
        by_category=await _grouped(session, col(Report.category_code), conditions),
        ratings=await _grouped(session, col(Report.rating), conditions),
    )
