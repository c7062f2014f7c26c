"""Recording a change of an alarm: a timeline entry, its live event, and (through the entry) its reactions.

Every change goes through `record`, in the caller's transaction: the entry says who and when, the event
tells the officers' screens, and the entry waits in the reaction queue (ioc.alarms.reactions) until the
alerts task has pushed, dispatched or linked what follows from it. The consumer's batch path writes the same
rows in bulk (ioc.rules.repository), with the same kinds and the same events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit
from ioc.alarms.events import AlarmFacts, alarm_event
from ioc.alarms.repository import journal

# Kinds of timeline entries.
RAISED: Final = "raised"
REPEATED: Final = "repeated"
SEVERITY_CHANGED: Final = "severity_changed"
ACKNOWLEDGED: Final = "acknowledged"
ASSIGNED: Final = "assigned"
COMMENTED: Final = "commented"
CLEARED: Final = "cleared"
REMINDED: Final = "reminded"
DISPATCH_OFFERED: Final = "dispatch_offered"
DISPATCH_DECLINED: Final = "dispatch_declined"
DISPATCH_ACCEPTED: Final = "dispatch_accepted"
DISPATCH_ESCALATED: Final = "dispatch_escalated"
PROGRESS: Final = "progress"
INCIDENT_LINKED: Final = "incident_linked"
INCIDENT_UNLINKED: Final = "incident_unlinked"


async def record(
    session: AsyncSession,
    alarm: AlarmFacts,
    *,
    kind: str,
    event_type: str | None,
    actor_id: uuid.UUID | None = None,
    comment: str | None = None,
    detail: dict[str, Any] | None = None,
    change: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Add the entry (and the event, unless `event_type` is None) for `alarm` as it is after the change;
    returns the entry's id. Never commits."""
    moment = at or datetime.now(UTC)
    entry_id = await journal.add_entry(
        session,
        alarm.id,
        kind=kind,
        at=moment,
        actor_id=actor_id,
        severity=alarm.severity,
        status=alarm.status,
        comment=comment,
        detail=detail or {},
    )
    if event_type is not None:
        said = dict(change or {})
        if actor_id is not None:
            said.setdefault("actor_id", str(actor_id))
        await emit(session, alarm_event(event_type, alarm, change=said, at=moment))
    return entry_id
