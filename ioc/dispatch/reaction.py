"""The reaction that starts a dispatch: an alarm raised, or whose severity changed, at or above its unit's
dispatch severity, with nobody assigned and no dispatch open, is offered to the nearest field staff.

Run by the alerts task after the change committed (ioc.alarms.reactions), in the task's transaction. Seeing
an entry twice (a batch redone after a crash) changes nothing: the open dispatch is found and left alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.repository.journal import PendingEntry, facts_of
from ioc.dispatch import offers

KINDS = frozenset({journal.RAISED, journal.SEVERITY_CHANGED})


async def offer_dispatches(session: AsyncSession, settings: Settings, entries: list[PendingEntry]) -> None:
    now = datetime.now(UTC)
    # One look per alarm however many entries it has in the batch, locked in id order: a fixed order keeps
    # two transactions that lock several alarms from waiting on each other.
    alarm_ids: set[uuid.UUID] = {entry.alarm_id for entry in entries if entry.kind in KINDS}
    for alarm_id in sorted(alarm_ids):
        alarm = await facts_of(session, alarm_id, lock=True)
        if alarm is not None and await offers.needs_dispatch(session, settings, alarm):
            await offers.start(session, settings, alarm, now)
