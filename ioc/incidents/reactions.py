"""The reaction to alarm changes (registered by ioc.install; run by the alerts task on committed entries):

- raised: the new alarm is linked as the rules say (ioc.incidents.linking);
- severity_changed, cleared: the open incidents it is in are recomputed (lead, severity), and on a clear
  those whose alarms are all cleared and reports all done close by themselves;
- repeated: the incidents' last_seen_at follows (no event: the alarm's own events say it).

Entries seen again after a crash change nothing twice: a linked alarm is not linked again, a closed incident
does not close again, and recomputing is idempotent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.alarms import journal
from ioc.alarms.repository.journal import PendingEntry
from ioc.incidents import membership
from ioc.incidents.linking import link_new
from ioc.incidents.links import current_links
from ioc.incidents.membership import Change
from ioc.incidents.repository import changes, matching
from ioc.incidents.types import IncidentCloseReason, IncidentStatus, MemberKind, MemberRef


def _alarms(entries: list[PendingEntry], *kinds: str) -> list[uuid.UUID]:
    return sorted({entry.alarm_id for entry in entries if entry.kind in kinds})


async def react_to_alarms(session: AsyncSession, settings: Settings, entries: list[PendingEntry]) -> None:
    links = current_links()
    change = Change(actor_id=None, now=datetime.now(UTC), buffer_m=links.footprint_buffer_m)
    raised = _alarms(entries, journal.RAISED)
    if raised:
        alarms = [
            alarm for alarm in await matching.alarms_to_link(session, raised) if links.for_alarm(alarm.type)
        ]
        # Every unit's lock at once, in order: linkers in other workers take theirs in the same order.
        await matching.lock_units(session, [alarm.unit_code for alarm in alarms])
        for alarm in alarms:
            new = MemberRef(MemberKind.ALARM, alarm.id)
            await link_new(session, new, alarm.unit_code, links.for_alarm(alarm.type), change)
    changed = _alarms(entries, journal.SEVERITY_CHANGED, journal.CLEARED)
    if changed:
        incident_ids = await matching.open_incidents_of_alarms(session, changed)
        statuses = await changes.lock_incidents(session, incident_ids)
        still_open = [key for key, status in statuses.items() if status == IncidentStatus.OPEN.value]
        closed: set[uuid.UUID] = set()
        if _alarms(entries, journal.CLEARED):
            finished = await membership.close(
                session, still_open, IncidentCloseReason.RESOLVED, change, only_finished=True
            )
            closed = {incident.id for incident in finished}
        for incident_id in still_open:
            if incident_id not in closed:
                await membership.refresh(session, incident_id, change)
    await changes.touch_last_seen(session, _alarms(entries, journal.REPEATED))
