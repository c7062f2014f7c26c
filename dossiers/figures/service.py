"""On-time figures for staff and for the public: who may ask for which, and the figures' arithmetic.

Staff ask for a unit (a province covers its wards) or an agency, within their units as the report KPIs do:
another unit is 403 outside_unit; an agency counts only the dossiers of the caller's units. The public asks
for one month, per unit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError, invalid_parameter
from core.identity import repository as identity_repository
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from dossiers.figures.clock import clock_at
from dossiers.figures.period import Period, month_period
from dossiers.figures.repository.counts import FiguresFilter, Grouping, count_figures
from dossiers.figures.repository.lookups import agency_by_code
from dossiers.figures.schemas import (
    FiguresGroup,
    FiguresRead,
    MonthFigures,
    OpenFiguresRead,
    UnitMonthFigures,
    figures_of,
)


def unit_not_found(code: str) -> ProblemError:
    return ProblemError(
        404,
        "unit_not_found",
        Message(f"Không có đơn vị hành chính {code}", f"There is no administrative unit {code}"),
    )


def agency_not_found(code: str) -> ProblemError:
    return ProblemError(
        404, "agency_not_found", Message(f"Không có cơ quan {code}", f"There is no agency {code}")
    )


async def _unit_and_wards(session: AsyncSession, unit_code: str) -> list[str]:
    if not await identity_repository.unit_exists(session, unit_code):
        raise unit_not_found(unit_code)
    return [unit_code, *await identity_repository.child_unit_codes(session, unit_code)]


async def _staff_filter(
    session: AsyncSession,
    principal: Principal,
    period: Period,
    *,
    unit_code: str | None,
    agency_code: str | None,
) -> FiguresFilter:
    if (unit_code is None) == (agency_code is None):
        raise invalid_parameter(
            "unit_code",
            Message("Cần đúng một trong unit_code và agency_code", "Give unit_code or agency_code"),
        )
    scope = await unit_scope(session, principal)
    if unit_code is not None:
        if not scope.allows(unit_code):
            raise outside_unit(unit_code)
        return FiguresFilter(
            period.received_from, period.received_to, unit_codes=await _unit_and_wards(session, unit_code)
        )
    assert agency_code is not None
    agency = await agency_by_code(session, agency_code)
    if agency is None:
        raise agency_not_found(agency_code)
    if not scope.allows(agency.unit_code):
        raise outside_unit(agency.unit_code)
    units = None if scope.all_units else sorted(scope.codes)
    return FiguresFilter(period.received_from, period.received_to, unit_codes=units, agency_id=agency.id)


async def staff_figures(
    session: AsyncSession,
    principal: Principal,
    calendar: WorkingCalendar,
    period: Period,
    *,
    unit_code: str | None,
    agency_code: str | None,
    group: FiguresGroup,
    now: datetime,
) -> FiguresRead:
    scope = await _staff_filter(session, principal, period, unit_code=unit_code, agency_code=agency_code)
    rows = await count_figures(session, scope, clock_at(calendar, now), Grouping(group.value))
    total = rows[-1]
    return FiguresRead(
        unit_code=unit_code,
        agency_code=agency_code,
        from_=period.first_day,
        to=period.last_day,
        group=group,
        totals=figures_of(total),
        months=[
            MonthFigures(month=row.key, **figures_of(row).model_dump())
            for row in rows[:-1]
            if row.key is not None
        ],
    )


async def unit_month_figures(
    session: AsyncSession,
    calendar: WorkingCalendar,
    month: str,
    *,
    unit_code: str | None,
    now: datetime,
) -> OpenFiguresRead:
    """Every unit's figures for `month` (the unit and its wards with `unit_code`), one row each."""
    period = month_period(month)
    units = None if unit_code is None else await _unit_and_wards(session, unit_code)
    scope = FiguresFilter(
        received_from=period.received_from, received_to=period.received_to, unit_codes=units
    )
    rows = await count_figures(session, scope, clock_at(calendar, now), Grouping.UNIT)
    return OpenFiguresRead(
        month=month,
        units=[
            UnitMonthFigures(
                month=month,
                unit_code=row.key or "",
                unit_name=row.unit_name or "",
                unit_name_en=row.unit_name_en or "",
                **figures_of(row).model_dump(),
            )
            for row in rows
        ],
    )
