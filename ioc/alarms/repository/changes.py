"""The SQL of officers' changes to an alarm, of its reminder clock, and of the reminders that are due.

The caller holds the alarm's row (journal.facts_of(..., lock=True)) before it changes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger

from ioc.alarms.events import AlarmFacts
from ioc.alarms.models import Alarm
from ioc.alarms.repository.journal import FACTS_COLUMNS, facts_from_row
from ioc.types import AlarmStatus

alarms: Table = Alarm.metadata.tables["alarms"]


async def acknowledge(
    session: AsyncSession, alarm_id: uuid.UUID, *, status: AlarmStatus, by: uuid.UUID, at: datetime
) -> None:
    """Acknowledged: no more reminders."""
    await session.execute(
        update(alarms)
        .where(alarms.c.id == alarm_id)
        .values(status=status.value, acknowledged_at=at, acknowledged_by=by, remind_at=None, updated_at=at)
    )


async def clear(
    session: AsyncSession,
    alarm_id: uuid.UUID,
    *,
    status: AlarmStatus,
    by: uuid.UUID | None,
    reason: str,
    at: datetime,
) -> None:
    await session.execute(
        update(alarms)
        .where(alarms.c.id == alarm_id)
        .values(
            status=status.value,
            cleared_at=at,
            cleared_by=by,
            clear_reason=reason,
            remind_at=None,
            updated_at=at,
        )
    )


async def assign(session: AsyncSession, alarm_id: uuid.UUID, *, assignee_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(alarms).where(alarms.c.id == alarm_id).values(assignee_id=assignee_id, updated_at=at)
    )


async def touch(session: AsyncSession, alarm_id: uuid.UUID, *, at: datetime) -> None:
    await session.execute(update(alarms).where(alarms.c.id == alarm_id).values(updated_at=at))


async def start_reminders(session: AsyncSession, alarm_id: uuid.UUID, remind_at: datetime | None) -> None:
    """Set when the alarm reminds next, if it is still active and unacknowledged (an officer may have
    acknowledged or cleared it before its reaction ran)."""
    await session.execute(
        update(alarms)
        .where(alarms.c.id == alarm_id, alarms.c.status == AlarmStatus.ACTIVE_UNACKNOWLEDGED.value)
        .values(remind_at=remind_at)
    )


async def move_reminder(session: AsyncSession, alarm_id: uuid.UUID, remind_at: datetime | None) -> None:
    await session.execute(update(alarms).where(alarms.c.id == alarm_id).values(remind_at=remind_at))


@dataclass(frozen=True, slots=True)
class DueReminder:
    alarm: AlarmFacts
    remind_at: datetime


# Skipped rows are another worker's (or an officer's, acknowledging right now); FOR UPDATE re-checks the
# status of a row that was changed meanwhile, so an alarm acknowledged a moment ago is never reminded.
_DUE = text(f"""
SELECT {FACTS_COLUMNS}, a.remind_at
FROM alarms a
WHERE a.status = 'active_unacknowledged' AND a.remind_at <= :now
ORDER BY a.remind_at, a.id
LIMIT :limit
FOR UPDATE SKIP LOCKED
""")  # noqa: S608  # the columns are a constant of the journal's repository, never input


async def claim_due_reminders(session: AsyncSession, now: datetime, limit: int) -> list[DueReminder]:
    """Alarms whose reminder is due, locked for this transaction (other workers skip them)."""
    rows = (await session.execute(_DUE, {"now": now, "limit": limit})).all()
    return [DueReminder(alarm=facts_from_row(row), remind_at=row.remind_at) for row in rows]


_PREVIOUS = text("""
SELECT t.id, previous.severity
FROM alarm_timeline t
LEFT JOIN LATERAL (
    SELECT p.severity FROM alarm_timeline p
    WHERE p.alarm_id = t.alarm_id AND p.id < t.id AND p.severity IS NOT NULL
    ORDER BY p.id DESC
    LIMIT 1
) previous ON true
WHERE t.id = ANY(:ids)
""").bindparams(bindparam("ids", type_=ARRAY(BigInteger)))


async def previous_severities(session: AsyncSession, entry_ids: list[int]) -> dict[int, str | None]:
    """For each entry, the alarm's severity before it (the severity of the entry before it)."""
    if not entry_ids:
        return {}
    rows = (await session.execute(_PREVIOUS, {"ids": entry_ids})).all()
    return {int(row.id): row.severity for row in rows}
