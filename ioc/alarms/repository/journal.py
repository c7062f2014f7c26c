"""The timeline's SQL: one alarm's facts, an entry, and the queue of entries waiting for their reactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger

from ioc.alarms.events import AlarmFacts

# The alerts task LISTENs here; a new entry NOTIFYs, delivered when (and if) its transaction commits.
NOTIFY_CHANNEL = "smartcity_alarms"

FACTS_COLUMNS = """
    a.id, a.rule_id, a.rule_version, a.type, a.severity, a.status, a.unit_code, a.title_vi, a.title_en,
    a.count, a.device_id, ST_Y(a.location) AS lat, ST_X(a.location) AS lon, a.raised_at, a.last_seen_at,
    a.cleared_at, a.assignee_id"""

# The columns are constants of this module, never input.
_FACTS = text(f"SELECT {FACTS_COLUMNS} FROM alarms a WHERE a.id = :id")  # noqa: S608
_FACTS_LOCKED = text(f"SELECT {FACTS_COLUMNS} FROM alarms a WHERE a.id = :id FOR UPDATE")  # noqa: S608

_ADD_ENTRY = text("""
WITH added AS (
    INSERT INTO alarm_timeline (alarm_id, at, kind, actor_id, severity, status, comment, detail)
    VALUES (:alarm_id, :at, :kind, :actor_id, :severity, :status, :comment, :detail)
    RETURNING id
)
SELECT added.id, pg_notify(:channel, '') FROM added
""").bindparams(bindparam("detail", type_=JSONB))

_PENDING = text("""
SELECT t.id, t.alarm_id, t.at, t.kind, t.actor_id, t.severity, t.status, t.detail
FROM alarm_timeline t
WHERE t.reacted_at IS NULL
ORDER BY t.id
LIMIT :limit
FOR UPDATE SKIP LOCKED
""")

_MARK_REACTED = text("UPDATE alarm_timeline SET reacted_at = now() WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(BigInteger))
)


def facts_from_row(row: Any) -> AlarmFacts:
    return AlarmFacts(
        id=row.id,
        rule_id=row.rule_id,
        rule_version=row.rule_version,
        type=row.type,
        severity=row.severity,
        status=row.status,
        unit_code=row.unit_code,
        title_vi=row.title_vi,
        title_en=row.title_en,
        count=row.count,
        device_id=row.device_id,
        lat=row.lat,
        lon=row.lon,
        raised_at=row.raised_at,
        last_seen_at=row.last_seen_at,
        cleared_at=row.cleared_at,
        assignee_id=row.assignee_id,
    )


async def facts_of(session: AsyncSession, alarm_id: uuid.UUID, *, lock: bool = False) -> AlarmFacts | None:
    """The alarm as events show it; `lock` holds its row until the transaction ends (for a change)."""
    row = (await session.execute(_FACTS_LOCKED if lock else _FACTS, {"id": alarm_id})).first()
    return None if row is None else facts_from_row(row)


async def add_entry(
    session: AsyncSession,
    alarm_id: uuid.UUID,
    *,
    kind: str,
    at: datetime,
    actor_id: uuid.UUID | None,
    severity: str | None,
    status: str | None,
    comment: str | None,
    detail: dict[str, Any],
) -> int:
    row = (
        await session.execute(
            _ADD_ENTRY,
            {
                "alarm_id": alarm_id,
                "at": at,
                "kind": kind,
                "actor_id": actor_id,
                "severity": severity,
                "status": status,
                "comment": comment,
                "detail": detail,
                "channel": NOTIFY_CHANNEL,
            },
        )
    ).one()
    return int(row.id)


@dataclass(frozen=True, slots=True)
class PendingEntry:
    id: int
    alarm_id: uuid.UUID
    at: datetime
    kind: str
    actor_id: uuid.UUID | None
    severity: str | None
    status: str | None
    detail: dict[str, Any]


async def claim_pending(session: AsyncSession, limit: int) -> list[PendingEntry]:
    """The oldest entries nobody reacted to yet, locked for this transaction (others skip them)."""
    rows = (await session.execute(_PENDING, {"limit": limit})).all()
    return [
        PendingEntry(
            id=row.id,
            alarm_id=row.alarm_id,
            at=row.at,
            kind=row.kind,
            actor_id=row.actor_id,
            severity=row.severity,
            status=row.status,
            detail=row.detail or {},
        )
        for row in rows
    ]


async def mark_reacted(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(_MARK_REACTED, {"ids": ids})
