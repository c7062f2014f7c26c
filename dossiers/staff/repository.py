"""All SQL of the officers' dossier views: the list, one dossier with its timeline, apologies and rating,
and the row an apology changes.

The list is keyset-paginated on (received_at, id), newest first, on the index (unit_code, received_at). Its
on-time filter and every row's on-time state are SQL (dossiers.figures.repository.ontime), judged at one
moment for the whole page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import Cursor, fetch_limit
from core.identity.models import User
from dossiers.deadlines import OnTime
from dossiers.figures.clock import OnTimeClock
from dossiers.figures.repository.ontime import state_condition, state_of
from dossiers.models import Agency, Apology, Dossier, DossierRating, DossierStep, Procedure
from dossiers.types import Status

LIST_SORT = "staff-dossiers"


@dataclass(frozen=True, slots=True)
class DossierFilters:
    statuses: Sequence[Status] = ()
    on_time: Sequence[OnTime] = ()
    agency_code: str | None = None
    procedure_code: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    code_prefix: str | None = None


def _with_facts(clock: OnTimeClock) -> Any:
    """The dossier with its agency's and procedure's names and its on-time state."""
    return (
        select(
            Dossier,
            col(Agency.code).label("agency_code"),
            col(Agency.name_vi).label("agency_name_vi"),
            col(Agency.name_en).label("agency_name_en"),
            col(Procedure.code).label("procedure_code"),
            col(Procedure.name_vi).label("procedure_name_vi"),
            col(Procedure.name_en).label("procedure_name_en"),
            col(Procedure.deadline_kind).label("deadline_kind"),
            col(Procedure.deadline_amount).label("deadline_amount"),
            state_of(clock).label("on_time"),
        )
        .join(Agency, col(Agency.id) == col(Dossier.agency_id))
        .join(Procedure, col(Procedure.id) == col(Dossier.procedure_id))
    )


def _conditions(filters: DossierFilters, clock: OnTimeClock) -> list[Any]:
    where: list[Any] = []
    if filters.statuses:
        where.append(col(Dossier.status).in_([int(status) for status in filters.statuses]))
    if filters.on_time:
        where.append(or_(*(state_condition(state, clock) for state in filters.on_time)))
    if filters.agency_code is not None:
        where.append(col(Agency.code) == filters.agency_code)
    if filters.procedure_code is not None:
        where.append(col(Procedure.code) == filters.procedure_code)
    if filters.received_from is not None:
        where.append(col(Dossier.received_at) >= filters.received_from)
    if filters.received_to is not None:
        where.append(col(Dossier.received_at) < filters.received_to)
    if filters.code_prefix:
        where.append(col(Dossier.code).startswith(filters.code_prefix, autoescape=True))
    return where


async def list_dossiers(
    session: AsyncSession,
    units: frozenset[str] | None,
    filters: DossierFilters,
    clock: OnTimeClock,
    *,
    cursor: Cursor | None,
    limit: int,
) -> Sequence[Any]:
    """Dossiers of `units` (None: every unit) matching `filters`, newest receipt first, after `cursor`; one
    row more than `limit` when another page follows."""
    where = _conditions(filters, clock)
    if units is not None:
        where.append(col(Dossier.unit_code).in_(sorted(units)))
    if cursor is not None:
        where.append(tuple_(col(Dossier.received_at), col(Dossier.id)) < tuple_(cursor.at, cursor.id))
    statement = (
        _with_facts(clock)
        .where(*where)
        .order_by(col(Dossier.received_at).desc(), col(Dossier.id).desc())
        .limit(fetch_limit(limit))
    )
    return (await session.execute(statement)).all()


async def dossier_by_code(
    session: AsyncSession, code: str, clock: OnTimeClock, *, for_update: bool = False
) -> Any | None:
    """The dossier's row with its facts (see _with_facts); locked, the dossier alone, with `for_update`."""
    statement = _with_facts(clock).where(col(Dossier.code) == code)
    if for_update:
        statement = statement.with_for_update(of=Dossier)
    return (await session.execute(statement)).one_or_none()


async def steps_of(session: AsyncSession, dossier_id: uuid.UUID) -> Sequence[DossierStep]:
    statement = (
        select(DossierStep)
        .where(col(DossierStep.dossier_id) == dossier_id)
        .order_by(col(DossierStep.at), col(DossierStep.id))
    )
    return (await session.execute(statement)).scalars().all()


async def apologies_of(session: AsyncSession, dossier_id: uuid.UUID) -> Sequence[Any]:
    """The dossier's apologies, oldest first, each with its agency's code or its author's name."""
    statement: Any = (
        select(
            Apology,
            col(Agency.code).label("agency_code"),
            col(User.display_name).label("author_name"),
        )
        .outerjoin(Agency, col(Agency.id) == col(Apology.agency_id))
        .outerjoin(User, col(User.id) == col(Apology.author_id))
        .where(col(Apology.dossier_id) == dossier_id)
        .order_by(col(Apology.issued_at), col(Apology.created_at))
    )
    rows: Sequence[Any] = (await session.execute(statement)).all()
    return rows


async def rating_of(session: AsyncSession, dossier_id: uuid.UUID) -> DossierRating | None:
    return await session.get(DossierRating, dossier_id)


async def display_name(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (await session.execute(select(col(User.display_name)).where(col(User.id) == user_id))).scalar()
