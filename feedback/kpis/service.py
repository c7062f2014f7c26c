"""Report KPIs for staff: volumes, timeliness against the acknowledge and resolve deadlines, satisfaction.

Counted over reports filed in the optional [from, to) window whose responsible unit is in the caller's
scope (and under the unit asked for, with its wards). "Overdue" is judged at the moment of the request
against each open report's current deadline: acknowledge while submitted, resolve afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import repository as identity_repository
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from feedback.kpis import repository
from feedback.kpis.repository import KpiScope
from feedback.kpis.schemas import KpiRead


async def _scope(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_code: str | None,
    category_code: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> KpiScope:
    scope = await unit_scope(session, principal)
    under: list[str] | None = None
    if unit_code is not None:
        if not scope.allows(unit_code):
            raise outside_unit(unit_code)
        under = [unit_code, *await identity_repository.child_unit_codes(session, unit_code)]
    return KpiScope(
        units=None if scope.all_units else sorted(scope.codes),
        under=under,
        category_code=category_code,
        date_from=date_from,
        date_to=date_to,
    )


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
    scope = await _scope(
        session,
        principal,
        unit_code=unit_code,
        category_code=category_code,
        date_from=date_from,
        date_to=date_to,
    )
    counts = await repository.count_reports(session, scope, now=now)
    on_time, late = counts.resolved_on_time, counts.resolved_late
    return KpiRead(
        total=counts.total,
        open=counts.open,
        overdue_open=counts.overdue_open,
        resolved_on_time=on_time,
        resolved_late=late,
        acknowledged_on_time=counts.acknowledged_on_time,
        acknowledged_late=counts.acknowledged_late,
        by_status=counts.by_status,
        by_category=counts.by_category,
        ratings=counts.ratings,
        on_time_rate=round(on_time / (on_time + late), 4) if on_time + late else None,
    )
