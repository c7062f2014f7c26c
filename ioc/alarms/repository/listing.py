"""Reading alarms: a page of the list, one alarm, and its timeline with who did what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Cursor, fetch_limit
from core.identity.models import User
from ioc.alarms.filters import AlarmFilters
from ioc.alarms.models import Alarm, AlarmEntry

alarms: Table = Alarm.metadata.tables["alarms"]
timeline: Table = AlarmEntry.metadata.tables["alarm_timeline"]
users: Table = User.metadata.tables["users"]

# Every column but the geometry, which is read as its lat and lon.
_COLUMNS = [column for column in alarms.c if column.name != "location"]
_LAT = func.ST_Y(alarms.c.location).label("lat")
_LON = func.ST_X(alarms.c.location).label("lon")


async def page_of_alarms(
    session: AsyncSession,
    units: frozenset[str] | None,
    filters: AlarmFilters,
    position: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Alarms of `units` (None: every unit) newest raised first from after `position`, keyset on
    (raised_at, id); fetch_limit(limit) rows."""
    query: Select[Any] = select(*_COLUMNS, _LAT, _LON)
    if units is not None:
        query = query.where(alarms.c.unit_code.in_(sorted(units)))
    if filters.unit_codes:
        query = query.where(alarms.c.unit_code.in_(sorted(filters.unit_codes)))
    if filters.statuses:
        query = query.where(alarms.c.status.in_(sorted(filters.statuses)))
    if filters.severities is not None:
        query = query.where(alarms.c.severity.in_(sorted(filters.severities)))
    if filters.types:
        query = query.where(alarms.c.type.in_(sorted(filters.types)))
    if filters.bbox is not None:
        box = filters.bbox
        envelope = func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
        query = query.where(func.ST_Intersects(alarms.c.location, envelope))
    if filters.raised_from is not None:
        query = query.where(alarms.c.raised_at >= filters.raised_from)
    if filters.raised_to is not None:
        query = query.where(alarms.c.raised_at <= filters.raised_to)
    if filters.assignee_id is not None:
        query = query.where(alarms.c.assignee_id == filters.assignee_id)
    if position is not None:
        query = query.where(
            or_(
                alarms.c.raised_at < position.at,
                and_(alarms.c.raised_at == position.at, alarms.c.id < position.id),
            )
        )
    query = query.order_by(alarms.c.raised_at.desc(), alarms.c.id.desc()).limit(fetch_limit(limit))
    rows: Sequence[Row[Any]] = (await session.execute(query)).all()
    return rows


async def alarm_row(session: AsyncSession, alarm_id: uuid.UUID) -> Row[Any] | None:
    """One alarm as the list reads it."""
    query: Select[Any] = select(*_COLUMNS, _LAT, _LON).where(alarms.c.id == alarm_id)
    row: Row[Any] | None = (await session.execute(query)).first()
    return row


def _entries() -> Select[Any]:
    """Timeline entries with their actor's display name (else username) and role."""
    name = func.coalesce(func.nullif(users.c.display_name, ""), users.c.username)
    return select(
        timeline.c.id,
        timeline.c.kind,
        timeline.c.at,
        timeline.c.actor_id,
        timeline.c.severity,
        timeline.c.status,
        timeline.c.comment,
        timeline.c.detail,
        name.label("actor_name"),
        users.c.role.label("actor_role"),
    ).select_from(timeline.outerjoin(users, users.c.id == timeline.c.actor_id))


async def timeline_of(
    session: AsyncSession, alarm_id: uuid.UUID, limit: int
) -> tuple[Sequence[Row[Any]], bool]:
    """The newest `limit` entries of the alarm, oldest first; and whether older entries were left out."""
    query = (
        _entries()
        .where(timeline.c.alarm_id == alarm_id)
        .order_by(timeline.c.at.desc(), timeline.c.id.desc())
        .limit(fetch_limit(limit))
    )
    newest = (await session.execute(query)).all()
    return list(reversed(newest[:limit])), len(newest) > limit


async def entry_row(session: AsyncSession, entry_id: int) -> Row[Any] | None:
    row: Row[Any] | None = (await session.execute(_entries().where(timeline.c.id == entry_id))).first()
    return row
