"""The KPIs of a unit and period, section by section: who may ask for which units, and the arithmetic of
rates on top of the counts the repositories make in SQL.

A unit covers its wards. Without one, the figures cover every unit of the caller (all of them for an
admin). As everywhere in the operations centre, the caller's scope is checked before the unit's existence
(403 outside_unit), so an officer learns nothing of units outside his own; a unit code nobody has is a 404
for those who may see every unit. Services never commit; these only read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE, WorkingCalendar
from core.identity import repository as identity_repository
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from dossiers.figures.clock import clock_at
from dossiers.figures.repository.counts import FiguresFilter, Grouping, count_figures
from dossiers.figures.schemas import figures_of
from feedback.kpis.repository import KpiScope, count_reports
from feedback.reports.status import Rating, ReportStatus
from ioc.alarms.unit_settings import unit_not_found
from ioc.kpis.period import Interval, KpiQuery, Period
from ioc.kpis.repository import alarms, devices, dispatch, dossiers, reports
from ioc.kpis.repository.buckets import SeriesRows
from ioc.kpis.schemas import (
    AlarmKpis,
    DeviceKpis,
    DeviceTypeKpis,
    DispatchKpis,
    DossierKpis,
    KpiHeader,
    KpiPoint,
    KpiSeries,
    KpiSeriesRead,
    ReportKpis,
    SeverityKpis,
)
from ioc.kpis.sections import Section
from ioc.types import Severity
from iot.types import DeviceType

Units = Sequence[str] | None


async def units_of(session: AsyncSession, principal: Principal, unit_code: str | None) -> Units:
    """The unit codes the figures cover (None: every unit)."""
    scope = await unit_scope(session, principal)
    if unit_code is None:
        return None if scope.all_units else sorted(scope.codes)
    if not scope.allows(unit_code):
        raise outside_unit(unit_code)
    if not await identity_repository.unit_exists(session, unit_code):
        raise unit_not_found(unit_code)
    return [unit_code, *await identity_repository.child_unit_codes(session, unit_code)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _header(unit_code: str | None, period: Period) -> KpiHeader:
    return KpiHeader(
        unit_code=unit_code, from_=period.start.astimezone(LOCAL_ZONE), to=period.end.astimezone(LOCAL_ZONE)
    )


async def report_kpis(
    session: AsyncSession, header: KpiHeader, units: Units, period: Period, now: datetime
) -> ReportKpis:
    scope = KpiScope(units=units, date_from=period.start, date_to=period.end)
    counts = await count_reports(session, scope, now=now)
    medians = await reports.report_medians(session, units, period)
    ratings = {rating.value: counts.ratings.get(rating.value, 0) for rating in Rating}
    pleased = ratings[Rating.VERY_SATISFIED] + ratings[Rating.SATISFIED]
    return ReportKpis(
        **header.model_dump(),
        total=counts.total,
        open=counts.open,
        overdue_open=counts.overdue_open,
        by_status={status.value: counts.by_status.get(status.value, 0) for status in ReportStatus},
        by_category=counts.by_category,
        acknowledged_on_time=counts.acknowledged_on_time,
        acknowledged_late=counts.acknowledged_late,
        acknowledge_on_time_rate=_rate(
            counts.acknowledged_on_time, counts.acknowledged_on_time + counts.acknowledged_late
        ),
        resolved_on_time=counts.resolved_on_time,
        resolved_late=counts.resolved_late,
        resolve_on_time_rate=_rate(counts.resolved_on_time, counts.resolved_on_time + counts.resolved_late),
        median_acknowledge_seconds=medians.acknowledge_seconds,
        median_resolve_seconds=medians.resolve_seconds,
        ratings=ratings,
        satisfaction_rate=_rate(pleased, sum(ratings.values())),
    )


async def device_kpis(session: AsyncSession, header: KpiHeader, units: Units, period: Period) -> DeviceKpis:
    rows = {row.type: row for row in await devices.device_counts(session, units, period)}
    by_type = {
        kind.value: DeviceTypeKpis(online=row.online, offline=row.offline, went_offline=row.went_offline)
        if (row := rows.get(kind.value)) is not None
        else DeviceTypeKpis(online=0, offline=0, went_offline=0)
        for kind in DeviceType
    }
    online = sum(item.online for item in by_type.values())
    offline = sum(item.offline for item in by_type.values())
    return DeviceKpis(
        **header.model_dump(),
        total=online + offline,
        online=online,
        offline=offline,
        went_offline=sum(item.went_offline for item in by_type.values()),
        by_type=by_type,
    )


async def alarm_kpis(session: AsyncSession, header: KpiHeader, units: Units, period: Period) -> AlarmKpis:
    rows = {row.severity: row for row in await alarms.raised_counts(session, units, period)}
    open_now = await alarms.open_counts(session, units)

    def figures(key: str | None, open_count: int) -> SeverityKpis:
        row = rows.get(key) or alarms.AlarmCounts(key, 0, 0, 0, None, None)
        return SeverityKpis(
            raised=row.raised,
            acknowledged=row.acknowledged,
            cleared=row.cleared,
            median_acknowledge_seconds=row.median_acknowledge_seconds,
            median_clear_seconds=row.median_clear_seconds,
            open_now=open_count,
        )

    total = figures(None, sum(open_now.values()))
    return AlarmKpis(
        **header.model_dump(),
        **total.model_dump(),
        by_severity={s.value: figures(s.value, open_now.get(s.value, 0)) for s in Severity},
    )


async def dispatch_kpis(
    session: AsyncSession, header: KpiHeader, units: Units, period: Period
) -> DispatchKpis:
    counts = await dispatch.offer_counts(session, units, period)
    answered = counts.accepted + counts.declined
    return DispatchKpis(
        **header.model_dump(),
        offers=counts.offers,
        accepted=counts.accepted,
        declined=counts.declined,
        expired=counts.expired,
        withdrawn=counts.withdrawn,
        unanswered=counts.offers - counts.accepted - counts.declined - counts.expired - counts.withdrawn,
        acceptance_rate=_rate(counts.accepted, answered),
        median_accept_seconds=counts.median_accept_seconds,
    )


async def dossier_kpis(
    session: AsyncSession,
    header: KpiHeader,
    units: Units,
    period: Period,
    calendar: WorkingCalendar,
    now: datetime,
) -> DossierKpis:
    scope = FiguresFilter(received_from=period.start, received_to=period.end, unit_codes=units)
    (total,) = await count_figures(session, scope, clock_at(calendar, now), Grouping.NONE)
    return DossierKpis(**header.model_dump(), **figures_of(total).model_dump())


async def section_kpis(
    session: AsyncSession, principal: Principal, section: Section, query: KpiQuery
) -> ReportKpis | DeviceKpis | AlarmKpis | DispatchKpis | DossierKpis:
    units = await units_of(session, principal, query.unit_code)
    header, period = _header(query.unit_code, query.period), query.period
    if section is Section.REPORTS:
        return await report_kpis(session, header, units, period, query.now)
    if section is Section.DEVICES:
        return await device_kpis(session, header, units, period)
    if section is Section.ALARMS:
        return await alarm_kpis(session, header, units, period)
    if section is Section.DISPATCH:
        return await dispatch_kpis(session, header, units, period)
    return await dossier_kpis(session, header, units, period, query.calendar, query.now)


SeriesReader = Callable[[AsyncSession, Units, Period, Interval], Awaitable[list[SeriesRows]]]
_SERIES: dict[Section, SeriesReader] = {
    Section.REPORTS: reports.report_series,
    Section.DEVICES: devices.device_series,
    Section.ALARMS: alarms.alarm_series,
    Section.DISPATCH: dispatch.dispatch_series,
}


async def section_series(
    session: AsyncSession, principal: Principal, section: Section, query: KpiQuery
) -> KpiSeriesRead:
    units = await units_of(session, principal, query.unit_code)
    period, interval = query.period, query.interval
    if section is Section.DOSSIERS:
        clock = clock_at(query.calendar, query.now)
        rows = await dossiers.dossier_series(session, units, period, interval, clock)
    else:
        rows = await _SERIES[section](session, units, period, interval)
    return KpiSeriesRead(
        interval=interval,
        series=[KpiSeries(key=row.key, points=[KpiPoint(t=t, v=v) for t, v in row.points]) for row in rows],
    )
