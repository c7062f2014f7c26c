"""Reading alarms: the list of the caller's units with its filters, and one alarm with its timeline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import decode_cursor, keyset_page
from core.identity.principal import STAFF_ROLES, Principal
from core.identity.scope import outside_unit, unit_scope
from ioc.alarms.filters import LIST_SORT, AlarmFilters
from ioc.alarms.repository import listing
from ioc.alarms.schemas import AlarmDetail, AlarmPage, AlarmRead, AlarmTimelineEntry
from ioc.alarms.service import alarm_not_found

# An alarm that repeats for days keeps a long timeline; its detail shows the newest entries.
TIMELINE_LIMIT = 500


async def list_alarms(
    session: AsyncSession, principal: Principal, filters: AlarmFilters, *, cursor: str | None, limit: int
) -> AlarmPage:
    scope = await unit_scope(session, principal)
    for code in sorted(filters.unit_codes):
        if not scope.allows(code):
            raise outside_unit(code)
    position = decode_cursor(LIST_SORT, cursor)
    rows = await listing.page_of_alarms(
        session, None if scope.all_units else scope.codes, filters, position, limit
    )
    page = keyset_page(
        rows, limit, sort=LIST_SORT, position=lambda row: (row.raised_at, row.id), item=AlarmRead.of_row
    )
    return AlarmPage(items=page.items, next_cursor=page.next_cursor)


async def read_alarm(session: AsyncSession, principal: Principal, alarm_id: uuid.UUID) -> AlarmDetail:
    row = await listing.alarm_row(session, alarm_id)
    if row is None or not (await unit_scope(session, principal)).allows(row.unit_code):
        raise alarm_not_found(alarm_id)
    entries, truncated = await listing.timeline_of(session, alarm_id, TIMELINE_LIMIT)
    timeline = [entry_read(entry) for entry in entries]
    alarm = AlarmRead.of_row(row)
    return AlarmDetail(**alarm.model_dump(), timeline=timeline, timeline_truncated=truncated)


def entry_read(entry: Any) -> AlarmTimelineEntry:
    return AlarmTimelineEntry(
        id=entry.id,
        kind=entry.kind,
        at=entry.at,
        actor_id=entry.actor_id,
        # Only staff act on alarms; the name of anyone else is never shown.
        actor_name=entry.actor_name if entry.actor_role in STAFF_ROLES else None,
        severity=entry.severity,
        status=entry.status,
        comment=entry.comment,
        detail=entry.detail or {},
    )


async def read_entry(session: AsyncSession, entry_id: int) -> AlarmTimelineEntry:
    row = await listing.entry_row(session, entry_id)
    assert row is not None, entry_id  # written by the caller in this transaction
    return entry_read(row)


async def read_one(session: AsyncSession, alarm_id: uuid.UUID) -> AlarmRead:
    """The alarm as it stands now (after a change the caller made in this transaction)."""
    row = await listing.alarm_row(session, alarm_id)
    if row is None:
        raise alarm_not_found(alarm_id)
    return AlarmRead.of_row(row)
