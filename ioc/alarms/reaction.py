"""The officers' reaction to a new alarm or a change of its severity: start its reminder clock and push it.

It runs in the alerts task after the change committed (ioc.alarms.reactions), whoever made it: the rules'
bulk path does not know the units' reminder cadences, so the clock starts here. On a raise, and on a
severity change, the next reminder is due one cadence of the new severity from now (none when that severity
does not remind). A push goes to the unit's officers when the alarm is raised at or above the unit's
push_min_severity, or rises to a severity at or above it; a step down is not pushed. An alarm that an
officer already acknowledged or cleared by the time this runs is not pushed either: someone has it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.notify import PushReason, push_to_officers
from ioc.alarms.repository import changes
from ioc.alarms.repository.journal import PendingEntry, facts_of
from ioc.alarms.unit_settings import SettingsCache
from ioc.types import SEVERITY_RANK, AlarmStatus, Severity, at_least

KINDS = frozenset({journal.RAISED, journal.SEVERITY_CHANGED})


async def alert_officers(session: AsyncSession, settings: Settings, entries: list[PendingEntry]) -> None:
    # Alarm by alarm (each in its entries' order), so that two workers lock alarm rows in one order.
    relevant = sorted((entry for entry in entries if entry.kind in KINDS), key=lambda e: (e.alarm_id, e.id))
    if not relevant:
        return
    before = await changes.previous_severities(
        session, [entry.id for entry in relevant if entry.kind == journal.SEVERITY_CHANGED]
    )
    units = SettingsCache(session, settings)
    now = datetime.now(UTC)
    for entry in relevant:
        alarm = await facts_of(session, entry.alarm_id)
        if alarm is None:
            continue
        severity = Severity(entry.severity or alarm.severity)
        unit = await units.of(alarm.unit_code)
        cadence = unit.reminder_for(severity)
        await changes.start_reminders(
            session, alarm.id, None if cadence is None else now + timedelta(seconds=cadence)
        )
        if alarm.status != AlarmStatus.ACTIVE_UNACKNOWLEDGED or not at_least(
            severity, unit.push_min_severity
        ):
            continue
        previous = before.get(entry.id)
        if entry.kind == journal.SEVERITY_CHANGED:
            if previous is not None and SEVERITY_RANK[severity] <= SEVERITY_RANK[Severity(previous)]:
                continue
            reason = PushReason.ESCALATED
        else:
            reason = PushReason.RAISED
        await push_to_officers(
            session,
            dataclasses.replace(alarm, severity=severity.value),
            reason,
            now=now,
            severity_from=previous,
        )
