"""Report KPIs for staff: volumes, timeliness against the acknowledge and resolve deadlines, satisfaction.

Counted over reports filed in the optional [from, to) window whose responsible unit is in the caller's
scope (and under the unit asked for, with its wards). "Overdue" is judged at the moment of the request
against each open report's current deadline: acknowledge while submitted, resolve afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity import repository as identity_repository
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from feedback.lifecycle_schemas import KpiRead
from feedback.report_models import Report
from feedback.status import OPEN_STATUSES, ReportStatus


async def _conditions(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_code: str | None,
    category_code: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> list[Any]:
    scope = await unit_scope(session, principal)
    conditions: list[Any] = []
    if not scope.all_units:
        conditions.append(col(Report.unit_code).in_(sorted(scope.codes)))
    if unit_code is not None:
        if not scope.allows(unit_code):
            raise outside_unit(unit_code)
        under = await identity_repository.child_unit_codes(session, unit_code)
        conditions.append(col(Report.unit_code).in_([unit_code, *under]))
    if category_code is not None:
        conditions.append(col(Report.category_code) == category_code)
    if date_from is not None:
        conditions.append(col(Report.created_at) >= date_from)
    if date_to is not None:
        conditions.append(col(Report.created_at) < date_to)
    return conditions


async def _grouped(session: AsyncSession, column: Any, conditions: list[Any]) -> dict[str, int]:
    rows = await session.execute(
        select(column, func.count()).where(*conditions, column.is_not(None)).group_by(column).order_by(column)
    )
    return {str(key): int(count) for key, count in rows.all()}


async def compute_kpis(
    session: AsyncSession,
    principal: Principal,
    *,
    now: datetime,
    unit_code: str | None = None,
    category_code: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> KpiRead:
    conditions = await _conditions(
        session,
        principal,
        unit_code=unit_code,
        category_code=category_code,
        date_from=date_from,
        date_to=date_to,
    )
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
    return KpiRead(
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
        on_time_rate=round(on_time / (on_time + late), 4) if on_time + late else None,
    )
