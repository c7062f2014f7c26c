"""Field staff duty and positions: one row per worker, the officers' list, and the purge of stale ones."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

# Busy: he accepted a dispatch whose alarm is still active and still his. `s` is field_staff_status.
BUSY = """EXISTS (
    SELECT 1 FROM dispatches d JOIN alarms a ON a.id = d.alarm_id
    WHERE d.status = 'accepted' AND d.accepted_by = s.user_id
      AND a.cleared_at IS NULL AND a.assignee_id = s.user_id
)"""

# What a row says once freshness is applied: a position older than :fresh_after counts as off duty.
_STATUS_COLUMNS = f"""
    s.user_id,
    coalesce(s.on_duty AND s.position_at >= :fresh_after, false) AS on_duty,
    CASE WHEN s.position_at >= :fresh_after THEN ST_Y(s.position) END AS lat,
    CASE WHEN s.position_at >= :fresh_after THEN ST_X(s.position) END AS lon,
    CASE WHEN s.position_at >= :fresh_after THEN s.accuracy_m END AS accuracy_m,
    CASE WHEN s.position_at >= :fresh_after THEN s.position_at END AS position_at,
    s.updated_at,
    {BUSY} AS busy"""

# Constants of this module, never input.
_ONE = text(f"SELECT {_STATUS_COLUMNS} FROM field_staff_status s WHERE s.user_id = :user_id")  # noqa: S608

_UPSERT = text("""
INSERT INTO field_staff_status AS s (user_id, on_duty, position, accuracy_m, position_at, updated_at)
VALUES (
    :user_id,
    :on_duty,
    CASE WHEN CAST(:on_duty AS boolean)
        THEN ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326) END,
    :accuracy_m,
    :position_at,
    :now
)
ON CONFLICT (user_id) DO UPDATE SET
    on_duty = EXCLUDED.on_duty,
    position = EXCLUDED.position,
    accuracy_m = EXCLUDED.accuracy_m,
    position_at = EXCLUDED.position_at,
    updated_at = EXCLUDED.updated_at
""")

_ON_DUTY = text(f"""
SELECT {_STATUS_COLUMNS}, u.display_name, u.unit_code
FROM field_staff_status s
JOIN users u ON u.id = s.user_id
WHERE s.on_duty AND s.position_at >= :fresh_after
  AND u.role = 'field_staff' AND u.is_active AND u.deleted_at IS NULL
  AND (CAST(:all_units AS boolean) OR u.unit_code = ANY(:unit_codes))
  AND (CAST(:after_id AS uuid) IS NULL OR s.user_id > CAST(:after_id AS uuid))
ORDER BY s.user_id
LIMIT :limit
""").bindparams(bindparam("unit_codes", type_=ARRAY(String)))  # noqa: S608

_PURGE = text("""
UPDATE field_staff_status
SET on_duty = false, position = NULL, accuracy_m = NULL, position_at = NULL
WHERE on_duty AND position_at < :fresh_after
""")


@dataclass(frozen=True, slots=True)
class StatusRow:
    user_id: uuid.UUID
    on_duty: bool
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    position_at: datetime | None
    updated_at: datetime
    busy: bool


@dataclass(frozen=True, slots=True)
class StaffRow:
    status: StatusRow
    display_name: str | None
    unit_code: str


def _status(row: Any) -> StatusRow:
    values = row._asdict()
    return StatusRow(**{name: values[name] for name in StatusRow.__dataclass_fields__})


async def save(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    on_duty: bool,
    lon: float | None,
    lat: float | None,
    accuracy_m: float | None,
    position_at: datetime | None,
    now: datetime,
) -> None:
    """Record duty and position; off duty stores no position at all."""
    await session.execute(
        _UPSERT,
        {
            "user_id": user_id,
            "on_duty": on_duty,
            "lon": lon if on_duty else None,
            "lat": lat if on_duty else None,
            "accuracy_m": accuracy_m if on_duty else None,
            "position_at": position_at if on_duty else None,
            "now": now,
        },
    )


async def read(session: AsyncSession, user_id: uuid.UUID, *, fresh_after: datetime) -> StatusRow | None:
    row = (await session.execute(_ONE, {"user_id": user_id, "fresh_after": fresh_after})).first()
    return None if row is None else _status(row)


async def on_duty_staff(
    session: AsyncSession,
    *,
    unit_codes: Collection[str] | None,
    fresh_after: datetime,
    after_id: uuid.UUID | None,
    limit: int,
) -> list[StaffRow]:
    """Field staff on duty with a fresh position, of `unit_codes` (None: every unit), by user id."""
    rows = await session.execute(
        _ON_DUTY,
        {
            "fresh_after": fresh_after,
            "all_units": unit_codes is None,
            "unit_codes": sorted(unit_codes or ()),
            "after_id": after_id,
            "limit": limit,
        },
    )
    return [StaffRow(_status(row), row.display_name, row.unit_code) for row in rows]


async def purge_stale(session: AsyncSession, *, fresh_after: datetime) -> int:
    """Positions older than `fresh_after` are erased and their workers counted off duty; how many."""
    result = await session.execute(_PURGE, {"fresh_after": fresh_after})
    return int(getattr(result, "rowcount", 0) or 0)
