"""The live channel's incident events: one shape for every change, by the rules or by an officer.

    alerts.incident_created  a new incident (change.linked: its first members)
    alerts.incident_updated  members linked or unlinked (change.linked / change.unlinked), or its lead,
                             severity, title or unit changed with its alarms (change.lead_alarm_from)
    alerts.incident_closed   closed (change.reason: resolved, officer or empty)

data is {"incident": the summary after the change, "change": what changed}; change.by says "rule" or
"officer" (with change.actor_id). Members are named by kind and id; never a reporter.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit, new_event
from ioc.incidents.schemas import IncidentSummary
from mobile_contract.events import EventEnvelope

CREATED = "alerts.incident_created"
UPDATED = "alerts.incident_updated"
CLOSED = "alerts.incident_closed"


def incident_event(event_type: str, incident: IncidentSummary, change: dict[str, Any]) -> EventEnvelope:
    return new_event(
        event_type,
        unit_code=incident.unit_code,
        subject_id=str(incident.id),
        location=incident.location,
        occurred_at=incident.updated_at,
        data={"incident": incident.model_dump(mode="json"), "change": change},
    )


def by(actor_id: uuid.UUID | None) -> dict[str, Any]:
    """The `by` part of a change: the rules, or an officer and his id."""
    return {"by": "rule"} if actor_id is None else {"by": "officer", "actor_id": str(actor_id)}


async def tell(
    session: AsyncSession, event_type: str, incident: IncidentSummary, change: dict[str, Any]
) -> None:
    await emit(session, incident_event(event_type, incident, change))
