"""The figures' one statement: counts of dossiers received in a period, by on-time state and rating.

One pass over the dossiers of the period (the indexes on (unit_code, received_at) and (agency_id,
received_at) find them), every figure a FILTER clause of it, the ratings by a join on their primary key
(one rating per dossier at most, so the join adds no row). Grouped by month of receipt, the total of the
period comes from the same statement (ROLLUP); grouped by unit, each unit's names come with it.

Withdrawn dossiers (status 7) count as received, and in no other figure: the applicant ended them, so they
were not handled and count neither for nor against the on-time rate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.units.models import AdminUnit
from dossiers.deadlines import OnTime
from dossiers.figures.clock import OnTimeClock
from dossiers.figures.repository.ontime import ZONE, state_condition
from dossiers.models import Dossier, DossierRating
from dossiers.types import Rating, Status


class Grouping(StrEnum):
    NONE = "none"
    MONTH = "month"  # of receipt, in local time, "YYYY-MM"
    UNIT = "unit"  # the dossier's unit


@dataclass(frozen=True, slots=True)
class FiguresFilter:
    """Dossiers received in [received_from, received_to), of these units (None: any) and this agency."""

    received_from: datetime
    received_to: datetime
    unit_codes: Sequence[str] | None = None
    agency_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FigureCounts:
    # The month or the unit code of the group; None for the whole period.
    key: str | None
    received: int
    withdrawn: int
    early: int
    on_time: int
    late: int
    open_within_deadline: int
    open_overdue: int
    very_satisfied: int
    satisfied: int
    not_satisfied: int
    unit_name: str | None = None
    unit_name_en: str | None = None


def _figures(clock: OnTimeClock) -> list[Any]:
    withdrawn = col(Dossier.status) == int(Status.WITHDRAWN)

    def handled_in(*states: OnTime) -> Any:
        return func.count().filter(and_(~withdrawn, or_(*(state_condition(s, clock) for s in states))))

    rating = col(DossierRating.rating)
    return [
        func.count().label("received"),
        func.count().filter(withdrawn).label("withdrawn"),
        handled_in(OnTime.EARLY).label("early"),
        handled_in(OnTime.ON_TIME).label("on_time"),
        handled_in(OnTime.LATE).label("late"),
        handled_in(OnTime.WITHIN_DEADLINE, OnTime.DUE_SOON).label("open_within_deadline"),
        handled_in(OnTime.OVERDUE).label("open_overdue"),
        *(func.count().filter(rating == value.value).label(value.value) for value in Rating),
    ]


def _where(scope: FiguresFilter) -> list[Any]:
    where: list[Any] = [
        col(Dossier.received_at) >= scope.received_from,
        col(Dossier.received_at) < scope.received_to,
    ]
    if scope.unit_codes is not None:
        where.append(col(Dossier.unit_code).in_(list(scope.unit_codes)))
    if scope.agency_id is not None:
        where.append(col(Dossier.agency_id) == scope.agency_id)
    return where


def _counts(
    row: Any, key: str | None, *, unit_name: str | None = None, unit_name_en: str | None = None
) -> FigureCounts:
    return FigureCounts(
        key=key,
        received=int(row.received),
        withdrawn=int(row.withdrawn),
        early=int(row.early),
        on_time=int(row.on_time),
        late=int(row.late),
        open_within_deadline=int(row.open_within_deadline),
        open_overdue=int(row.open_overdue),
        very_satisfied=int(row.very_satisfied),
        satisfied=int(row.satisfied),
        not_satisfied=int(row.not_satisfied),
        unit_name=unit_name,
        unit_name_en=unit_name_en,
    )


async def count_figures(
    session: AsyncSession, scope: FiguresFilter, clock: OnTimeClock, grouping: Grouping
) -> list[FigureCounts]:
    """The figures of `scope` at the clock's moment: one row for NONE; for MONTH the months that received
    dossiers in order, then the period's total (key None); for UNIT the units that received any, by code."""
    statement = (
        select(*_figures(clock))
        .select_from(Dossier)
        .outerjoin(DossierRating, col(DossierRating.dossier_id) == col(Dossier.id))
    )
    statement = statement.where(*_where(scope))
    if grouping is Grouping.NONE:
        return [_counts((await session.execute(statement)).one(), None)]
    if grouping is Grouping.MONTH:
        month = func.to_char(func.timezone(ZONE, col(Dossier.received_at)), "YYYY-MM").label("month")
        grouped = statement.add_columns(month).group_by(func.rollup(month)).order_by(month.nulls_last())
        return [_counts(row, row.month) for row in (await session.execute(grouped)).all()]
    unit = col(Dossier.unit_code)
    by_unit = (
        statement.add_columns(unit, col(AdminUnit.name), col(AdminUnit.name_en))
        .join(AdminUnit, col(AdminUnit.code) == unit)
        .group_by(unit, col(AdminUnit.name), col(AdminUnit.name_en))
        .order_by(unit)
    )
    return [
        _counts(row, row.unit_code, unit_name=row.name, unit_name_en=row.name_en)
        for row in (await session.execute(by_unit)).all()
    ]
