"""The dossiers' time series: received and the on-time rate per bucket of receipt, with the definitions of
the open data (dossiers.figures.repository.ontime: the on-time state as SQL, judged at the clock's moment).
The figures of the whole period are dossiers.figures' own statement (count_figures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, Numeric, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dossiers.deadlines import OnTime
from dossiers.figures.clock import OnTimeClock
from dossiers.figures.repository.ontime import state_condition
from dossiers.models import Dossier
from dossiers.types import Status
from ioc.kpis.period import Interval, Period
from ioc.kpis.repository.buckets import Measure, SeriesRows, bucket_of, in_period, in_units, read_series

# On time as the open data's on_time_rate counts it: finished early or on time, or open within deadline.
ON_TIME_STATES = (OnTime.EARLY, OnTime.ON_TIME, OnTime.WITHIN_DEADLINE, OnTime.DUE_SOON)


def _on_time_rate(clock: OnTimeClock) -> Any:
    handled = col(Dossier.status) != int(Status.WITHDRAWN)
    on_time = func.count().filter(and_(handled, or_(*(state_condition(s, clock) for s in ON_TIME_STATES))))
    # NULL when nothing was handled in the bucket: no rate, rather than 0.
    return func.round(cast(cast(on_time, Float) / func.nullif(func.count().filter(handled), 0), Numeric), 4)


async def dossier_series(
    session: AsyncSession,
    units: Sequence[str] | None,
    period: Period,
    interval: Interval,
    clock: OnTimeClock,
) -> list[SeriesRows]:
    bucket = bucket_of(interval, col(Dossier.received_at)).label("bucket")
    where = [*in_period(col(Dossier.received_at), period), *in_units(col(Dossier.unit_code), units)]
    received = (
        select(bucket, func.count().label("received"), _on_time_rate(clock).label("on_time_rate"))
        .where(*where)
        .group_by(bucket)
        .subquery("received")
    )
    measures = [Measure("received", "received"), Measure("on_time_rate", "on_time_rate", zero=False)]
    return await read_series(session, interval, period, [(received, measures)])
