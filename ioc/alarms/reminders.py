"""Reminders of alarms nobody acknowledged: pushed again at the cadence the unit set for the severity.

Several workers may run this at once: each claims due alarms with SKIP LOCKED and moves their remind_at in
the same transaction, so a reminder is sent once. An officer who acknowledges meanwhile waits for that
transaction, and the next claim no longer sees the alarm. The next reminder is one cadence after the one
that was due; after an outage (when that is already past) it is one cadence from now, so the officers get
one reminder, not a burst of the missed ones. Reminders follow the same rules as the first push: the unit's
push_min_severity, each officer's preferences, and critical always; below the unit's threshold the reminder
is only on the timeline and the live channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms import events, journal
from ioc.alarms.notify import PushReason, push_to_officers
from ioc.alarms.repository import changes
from ioc.alarms.unit_settings import SettingsCache
from ioc.types import at_least

BATCH = 100


async def remind_due(session: AsyncSession, settings: Settings, *, now: datetime, limit: int = BATCH) -> int:
    """Remind the alarms due at `now` (at most `limit`); returns how many were claimed. The caller commits."""
    due = await changes.claim_due_reminders(session, now, limit)
    units = SettingsCache(session, settings)
    for item in due:
        alarm = item.alarm
        unit = await units.of(alarm.unit_code)
        cadence = unit.reminder_for(alarm.severity)
        if cadence is None:
            # The unit stopped reminding this severity since the clock was set.
            await changes.move_reminder(session, alarm.id, None)
            continue
        step = timedelta(seconds=cadence)
        next_at = item.remind_at + step
        if next_at <= now:
            next_at = now + step
        await changes.move_reminder(session, alarm.id, next_at)
        pushed = []
        if at_least(alarm.severity, unit.push_min_severity):
            pushed = await push_to_officers(session, alarm, PushReason.REMINDER, now=now)
        await journal.record(
            session,
            alarm,
            kind=journal.REMINDED,
            event_type=events.REMINDER,
            detail={"pushed_to": len(pushed), "next_reminder_at": next_at.isoformat()},
            change={"next_reminder_at": next_at.isoformat()},
            at=now,
        )
    return len(due)
