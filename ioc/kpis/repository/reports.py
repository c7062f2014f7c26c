"""The report figures feedback.kpis does not count (medians), and the reports' time series.

The counts by status, category, timeliness and rating are feedback.kpis.repository.count_reports, over the
same reports: those of the units filed in the period (ix_feedback_reports_unit_created).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.reports.models import Report
from ioc.kpis.period import Interval, Period
from ioc.kpis.repository.buckets import (
    Measure,
    SeriesRows,
    bucket_of,
    in_period,
    in_units,
    median,
    optional_float,
    read_series,
    seconds_between,
)


@dataclass(frozen=True, slots=True)
class ReportMedians:
    acknowledge_seconds: float | None
    resolve_seconds: float | None


def _units(units: Sequence[str] | None) -> list[Any]:
    return in_units(col(Report.unit_code), units)


async def report_medians(session: AsyncSession, units: Sequence[str] | None, period: Period) -> ReportMedians:
    created = col(Report.created_at)
    row = (
        await session.execute(
            select(
                median(seconds_between(col(Report.acknowledged_at), created)),
                median(seconds_between(col(Report.resolved_at), created)),
            ).where(*_units(units), *in_period(created, period))
        )
    ).one()
    return ReportMedians(optional_float(row[0]), optional_float(row[1]))


async def report_series(
    session: AsyncSession, units: Sequence[str] | None, period: Period, interval: Interval
) -> list[SeriesRows]:
    """Reports received (filed) and resolved in each bucket."""
    received_bucket = bucket_of(interval, col(Report.created_at)).label("bucket")
    received = (
        select(received_bucket, func.count().label("received"))
        .where(*_units(units), *in_period(col(Report.created_at), period))
        .group_by(received_bucket)
        .subquery("received")
    )
    resolved_bucket = bucket_of(interval, col(Report.resolved_at)).label("bucket")
    resolved = (
        select(resolved_bucket, func.count().label("resolved"))
        .where(*_units(units), *in_period(col(Report.resolved_at), period))
        .group_by(resolved_bucket)
        .subquery("resolved")
    )
    return await read_series(
        session,
        interval,
        period,
        [(received, [Measure("received", "received")]), (resolved, [Measure("resolved", "resolved")])],
    )
