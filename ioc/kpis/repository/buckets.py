"""Time series in SQL: every bucket of the period from generate_series, in local time, left-joined to the
section's figures grouped by the same date_trunc, so an empty bucket is a row too (0 for counts, null for
medians and rates) and a series costs one statement whatever its length.

Buckets are cut in Asia/Ho_Chi_Minh (a day is a local day, a week starts on a local Monday), so a chart
reads as people live; the zone has no daylight saving, so every bucket of an interval has the same length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Subquery, bindparam, extract, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from ioc.kpis.period import Interval, Period

ZONE = LOCAL_ZONE.key


@dataclass(frozen=True, slots=True)
class Measure:
    """One series: `column` of a grouped subquery; `zero` for counts (0 in an empty bucket)."""

    key: str
    column: str
    zero: bool = True


@dataclass(frozen=True, slots=True)
class SeriesRows:
    key: str
    points: list[tuple[datetime, float | None]]


def moment(value: datetime) -> Any:
    """A bound timestamptz (typed, so PostgreSQL picks the timestamptz variant of timezone())."""
    return bindparam(None, value, type_=DateTime(timezone=True))


def bucket_of(interval: Interval, column: Any) -> Any:
    """The local start of the bucket `column` falls in, as a local timestamp."""
    return func.date_trunc(literal_column(f"'{interval.value}'"), func.timezone(ZONE, column))


def seconds_between(later: Any, earlier: Any) -> Any:
    return extract("epoch", later - earlier)


def median(value: Any) -> Any:
    """The median of `value` over the group; NULL values (not yet acknowledged...) do not count."""
    return func.percentile_cont(0.5).within_group(value)


def in_period(column: Any, period: Period) -> list[Any]:
    return [column >= moment(period.start), column < moment(period.end)]


def in_units(column: Any, units: Sequence[str] | None) -> list[Any]:
    """`column` among the units (None: every unit, no condition)."""
    return [] if units is None else [column.in_(list(units))]


def optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _grid(interval: Interval, period: Period) -> Subquery:
    last = period.end - timedelta(microseconds=1)
    series = func.generate_series(
        bucket_of(interval, moment(period.start)),
        bucket_of(interval, moment(last)),
        literal_column(f"interval '1 {interval.value}'"),
    )
    return select(series.label("bucket")).subquery("grid")


async def read_series(
    session: AsyncSession,
    interval: Interval,
    period: Period,
    parts: Sequence[tuple[Subquery, Sequence[Measure]]],
) -> list[SeriesRows]:
    """Each measure of `parts` (subqueries with a `bucket` column from bucket_of) over every bucket."""
    grid = _grid(interval, period)
    joined: Any = grid
    columns: list[Any] = []
    measures: list[Measure] = []
    for subquery, its_measures in parts:
        joined = joined.outerjoin(subquery, subquery.c.bucket == grid.c.bucket)
        for measure in its_measures:
            value = subquery.c[measure.column]
            columns.append(func.coalesce(value, 0) if measure.zero else value)
            measures.append(measure)
    statement = select(grid.c.bucket, *columns).select_from(joined).order_by(grid.c.bucket)
    rows = (await session.execute(statement)).all()
    starts = [row[0].replace(tzinfo=LOCAL_ZONE) for row in rows]
    return [
        SeriesRows(
            measure.key,
            [
                (start, None if row[index + 1] is None else float(row[index + 1]))
                for start, row in zip(starts, rows, strict=True)
            ],
        )
        for index, measure in enumerate(measures)
    ]
