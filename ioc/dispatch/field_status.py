"""A field worker's duty and position, and the officers' list of who is out there.

A position is worth keeping only while it says where someone is who may be sent: on duty, and recent. Off
duty it is erased at once; a position older than ioc_dispatch_position_ttl_seconds is read as off duty and
the dispatch task erases it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Page, decode_cursor, fetch_limit, keyset_page
from core.identity.principal import Principal
from core.identity.scope import ensure_can_see_unit, unit_scope
from core.settings import Settings
from core.units.repository import locate
from ioc.dispatch import moves, problems
from ioc.dispatch.offers import fresh_after
from ioc.dispatch.repository import field_status as repository
from ioc.dispatch.repository.field_status import StaffRow, StatusRow
from ioc.dispatch.schemas import FieldStaffMember, FieldStatusRead, FieldStatusUpdate

# The list is ordered by user id alone (positions move; an order by time would skip and repeat people), so
# its cursor carries a fixed time.
_SORT = "field_staff"
_CURSOR_TIME = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
OFF_DUTY = FieldStatusRead(
    on_duty=False, available=False, lat=None, lon=None, accuracy_m=None, recorded_at=None, updated_at=None
)


def _read(row: StatusRow) -> FieldStatusRead:
    return FieldStatusRead(
        on_duty=row.on_duty,
        available=row.on_duty and not row.busy,
        lat=row.lat,
        lon=row.lon,
        accuracy_m=row.accuracy_m,
        recorded_at=row.position_at,
        updated_at=row.updated_at,
    )


def _member(row: StaffRow) -> FieldStaffMember:
    return FieldStaffMember(
        **_read(row.status).model_dump(),
        user_id=row.status.user_id,
        display_name=row.display_name,
        unit_code=row.unit_code,
    )


async def current(
    session: AsyncSession, settings: Settings, principal: Principal, now: datetime
) -> FieldStatusRead:
    row = await repository.read(session, principal.user_id, fresh_after=fresh_after(settings, now))
    return OFF_DUTY if row is None else _read(row)


async def report(
    session: AsyncSession, settings: Settings, principal: Principal, update: FieldStatusUpdate, now: datetime
) -> FieldStatusRead:
    """Record duty and position: 422 outside_province for a point no province of ours contains."""
    # On duty the schema requires the point; off duty none is kept, so none is checked.
    lat, lon = update.lat, update.lon
    if update.on_duty and lat is not None and lon is not None and await locate(session, lon, lat) is None:
        raise problems.outside_province(lat, lon)
    await repository.save(
        session,
        principal.user_id,
        on_duty=update.on_duty,
        lon=update.lon,
        lat=update.lat,
        accuracy_m=update.accuracy_m,
        position_at=update.recorded_at or now,
        now=now,
    )
    status = await current(session, settings, principal, now)
    await moves.announce(session, principal, status)
    return status


async def on_duty(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    unit_code: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[FieldStaffMember]:
    """Field staff on duty of the caller's units (or of one of them: 403 outside_unit beyond them)."""
    after = decode_cursor(_SORT, cursor)
    if unit_code is not None:
        await ensure_can_see_unit(session, principal, unit_code)
        codes: frozenset[str] | None = frozenset({unit_code})
    else:
        scope = await unit_scope(session, principal)
        codes = None if scope.all_units else scope.codes
    rows = await repository.on_duty_staff(
        session,
        unit_codes=codes,
        fresh_after=fresh_after(settings, now),
        after_id=None if after is None else after.id,
        limit=fetch_limit(limit),
    )
    return keyset_page(
        rows, limit, sort=_SORT, position=lambda row: (_CURSOR_TIME, row.status.user_id), item=_member
    )
