"""The alarm figures: alarms raised in the period by severity, with the medians from raising to
acknowledgement and to clearing, and the alarms open now; the alarms' time series.

An alarm's acknowledged_at and cleared_at are the moments of its `acknowledged` and `cleared` timeline
entries, written with them in one transaction and never changed afterwards (an alarm is acknowledged once
and cleared once: a new episode is a new alarm), so the medians read the alarm rows on
ix_alarms_unit_raised rather than joining the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ioc.alarms.models import Alarm
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
from ioc.types import Severity


@dataclass(frozen=True, slots=True)
class AlarmCounts:
    """One severity's figures, or every severity's (severity None)."""

    severity: str | None
    raised: int
    acknowledged: int
    cleared: int
    median_acknowledge_seconds: float | None
    median_clear_seconds: float | None


def _units(units: Sequence[str] | None) -> list[Any]:
    return in_units(col(Alarm.unit_code), units)


async def raised_counts(
    session: AsyncSession, units: Sequence[str] | None, period: Period
) -> list[AlarmCounts]:
    """Per severity that raised any, then the total (ROLLUP), in one pass."""
    raised = col(Alarm.raised_at)
    severity = col(Alarm.severity)
    statement = (
        select(
            severity,
            func.count(),
            func.count(col(Alarm.acknowledged_at)),
            func.count(col(Alarm.cleared_at)),
            median(seconds_between(col(Alarm.acknowledged_at), raised)),
            median(seconds_between(col(Alarm.cleared_at), raised)),
        )
        .where(*_units(units), *in_period(raised, period))
        .group_by(func.rollup(severity))
    )
    return [
        AlarmCounts(
            row[0], int(row[1]), int(row[2]), int(row[3]), optional_float(row[4]), optional_float(row[5])
        )
        for row in (await session.execute(statement)).all()
    ]


async def open_counts(session: AsyncSession, units: Sequence[str] | None) -> dict[str, int]:
    """Alarms not cleared now, per severity (ix_alarms_open_unit)."""
    severity = col(Alarm.severity)
    statement = (
        select(severity, func.count())
        .where(*_units(units), col(Alarm.cleared_at).is_(None))
        .group_by(severity)
    )
    return {str(row[0]): int(row[1]) for row in (await session.execute(statement)).all()}


async def alarm_series(
    session: AsyncSession, units: Sequence[str] | None, period: Period, interval: Interval
) -> list[SeriesRows]:
    """Alarms raised in each bucket, per severity, and the median time to acknowledge them."""
    bucket = bucket_of(interval, col(Alarm.raised_at)).label("bucket")
    severity = col(Alarm.severity)
    raised = (
        select(
            bucket,
            *(func.count().filter(severity == value.value).label(value.value) for value in Severity),
            median(seconds_between(col(Alarm.acknowledged_at), col(Alarm.raised_at))).label("acknowledge"),
        )
        .where(*_units(units), *in_period(col(Alarm.raised_at), period))
        .group_by(bucket)
        .subquery("raised")
    )
    measures = [Measure(f"raised_{value.value}", value.value) for value in Severity]
    measures.append(Measure("median_acknowledge_seconds", "acknowledge", zero=False))
    return await read_series(session, interval, period, [(raised, measures)])
