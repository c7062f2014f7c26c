"""The dispatch figures: offers made to field staff in the period (ix_dispatch_offers_offered) for alarms
of the units, by answer, and the median time from an offer to its acceptance; as a time series too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ioc.alarms.models import Alarm
from ioc.dispatch.models import DispatchOffer, OfferAnswer
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
class OfferCounts:
    offers: int
    accepted: int
    declined: int
    expired: int
    withdrawn: int
    median_accept_seconds: float | None


def _offers(units: Sequence[str] | None, period: Period) -> Any:
    statement = select().select_from(DispatchOffer)
    if units is not None:
        # An offer's unit is its alarm's.
        statement = statement.join(Alarm, col(Alarm.id) == col(DispatchOffer.alarm_id))
    return statement.where(
        *in_units(col(Alarm.unit_code), units), *in_period(col(DispatchOffer.offered_at), period)
    )


def _answered(answer: OfferAnswer) -> Any:
    return func.count().filter(col(DispatchOffer.answer) == answer.value)


def _accept_seconds() -> Any:
    # Only acceptances: a decline has an answer time too.
    accepted = col(DispatchOffer.answer) == OfferAnswer.ACCEPTED.value
    return median(
        case((accepted, seconds_between(col(DispatchOffer.answered_at), col(DispatchOffer.offered_at))))
    )


async def offer_counts(session: AsyncSession, units: Sequence[str] | None, period: Period) -> OfferCounts:
    statement = _offers(units, period).add_columns(
        func.count(),
        *(_answered(answer) for answer in OfferAnswer),
        _accept_seconds(),
    )
    row = (await session.execute(statement)).one()
    counts = dict(zip(OfferAnswer, (int(value) for value in row[1:5]), strict=True))
    return OfferCounts(
        offers=int(row[0]),
        accepted=counts[OfferAnswer.ACCEPTED],
        declined=counts[OfferAnswer.DECLINED],
        expired=counts[OfferAnswer.EXPIRED],
        withdrawn=counts[OfferAnswer.WITHDRAWN],
        median_accept_seconds=optional_float(row[5]),
    )


async def dispatch_series(
    session: AsyncSession, units: Sequence[str] | None, period: Period, interval: Interval
) -> list[SeriesRows]:
    """Offers made, offers accepted and the median time to accept, per bucket of the offer."""
    bucket = bucket_of(interval, col(DispatchOffer.offered_at)).label("bucket")
    offers = (
        _offers(units, period)
        .add_columns(
            bucket,
            func.count().label("offers"),
            _answered(OfferAnswer.ACCEPTED).label("accepted"),
            _accept_seconds().label("accept_seconds"),
        )
        .group_by(bucket)
        .subquery("offers")
    )
    measures = [
        Measure("offers", "offers"),
        Measure("accepted", "accepted"),
        Measure("median_accept_seconds", "accept_seconds", zero=False),
    ]
    return await read_series(session, interval, period, [(offers, measures)])
