"""The KPIs of the caller's units for the operations centre's charts: figures, CSV and time series.

`/{section}.csv` is declared before `/{section}`, whose path parameter would otherwise take "reports.csv".
The query is read by one dependency per kind of route, after the policy (so an anonymous caller hears 401
whatever he sent), which refuses parameters the route does not take.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from core.calendar import working_calendar
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Staff
from core.http.responses import UNAUTHENTICATED, problem, responses
from ioc.kpis import csv_export, service
from ioc.kpis.period import MAX_DAYS, MAX_HOURLY_DAYS, Interval, KpiQuery, period_of
from ioc.kpis.schemas import KpiSeriesRead, SectionKpis
from ioc.kpis.sections import (
    FIGURE_PARAMETERS,
    SECTION_NAMES,
    SERIES_PARAMETERS,
    check_parameters,
    section_of,
)

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"])

SectionPath = Annotated[
    str, Path(max_length=40, description=f"One of {SECTION_NAMES}.", examples=["reports"])
]
UnitCodeQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{2}([0-9]{3})?$", description="A province (covering its wards) or a ward."),
]
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=40,
        description="ISO date (a local day, from its midnight) or datetime; default 30 days before `to`.",
        examples=["2026-11-01"],
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=40,
        description="ISO date (the whole local day counts) or datetime, excluded; default now.",
        examples=["2026-11-30"],
    ),
]


async def _figure_query(
    request: Request,
    settings: SettingsDep,
    unit_code: UnitCodeQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> KpiQuery:
    check_parameters(request.query_params.keys(), FIGURE_PARAMETERS)
    now = datetime.now(UTC)
    return KpiQuery(unit_code, period_of(date_from, date_to, now=now), working_calendar(settings), now)


async def _series_query(
    request: Request,
    settings: SettingsDep,
    unit_code: UnitCodeQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    interval: Interval = Interval.DAY,
) -> KpiQuery:
    check_parameters(request.query_params.keys(), SERIES_PARAMETERS)
    now = datetime.now(UTC)
    period = period_of(date_from, date_to, now=now, interval=interval)
    return KpiQuery(unit_code, period, working_calendar(settings), now, interval)


FigureQuery = Annotated[KpiQuery, Depends(_figure_query)]
SeriesQuery = Annotated[KpiQuery, Depends(_series_query)]

PROBLEMS = responses(
    UNAUTHENTICATED,
    problem(403, "Not staff (code forbidden), or a unit outside the caller's units (code outside_unit)"),
    problem(404, "No such section (code not_found) or unit (code unit_not_found)"),
    problem(
        422,
        "A parameter this route does not take, a bad unit code, or a `from`/`to` that is no ISO date or "
        "datetime within 2000-2999 (code validation_error); `to` not after `from` (code "
        f"date_range_reversed); more than {MAX_DAYS} days, or {MAX_HOURLY_DAYS} for an hourly series "
        "(code date_range_too_long)",
    ),
)
DESCRIPTION = (
    "Reports, alarms, dispatch offers and dossiers of the period; devices as they are now. With "
    "`unit_code`, that unit and its wards; otherwise every unit of the caller (every unit for an admin)."
)


@router.get(
    "/{section}.csv",
    summary="A KPI section as CSV for Excel (staff)",
    description=DESCRIPTION + " One row per figure, UTF-8 with a byte order mark, one header row.",
    responses={**PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    response_class=Response,
)
async def section_csv(db: SessionDep, principal: Staff, section: SectionPath, query: FigureQuery) -> Response:
    kind = section_of(section)
    figures = await service.section_kpis(db, principal, kind, query)
    return csv_export.csv_response(kind.value, figures)


@router.get(
    "/{section}/series",
    response_model=KpiSeriesRead,
    summary="A KPI section's time series for charts (staff)",
    description="Buckets of an hour, a local day or a local week (from Monday) over the period, each "
    "starting at `t`; every bucket is there, empty ones with 0 for counts and null for medians and rates. "
    "reports: received, resolved; devices: went_offline; alarms: raised_<severity>, "
    "median_acknowledge_seconds; dispatch: offers, accepted, median_accept_seconds; dossiers: received, "
    "on_time_rate (by receipt).",
    responses=PROBLEMS,
)
async def section_series(
    db: SessionDep, principal: Staff, section: SectionPath, query: SeriesQuery
) -> KpiSeriesRead:
    return await service.section_series(db, principal, section_of(section), query)


@router.get(
    "/{section}",
    response_model=SectionKpis,
    summary="A KPI section's figures for a unit and period (staff)",
    description=DESCRIPTION,
    responses=PROBLEMS,
)
async def section_figures(
    db: SessionDep, principal: Staff, section: SectionPath, query: FigureQuery
) -> SectionKpis:
    return await service.section_kpis(db, principal, section_of(section), query)
