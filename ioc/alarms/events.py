"""The live channel's alarm events: one shape for every change, whoever made it (the rules or an officer).

Every event of topic `alerts` about an alarm carries the alarm as it is after the change (so a client can
replace what it shows without asking) and what changed. The types:

    alerts.raised            a new alarm
    alerts.updated           a repeat (count, last seen) or a severity change (change.severity_from)
    alerts.acknowledged      an officer acknowledged it
    alerts.assigned          an officer assigned it to someone (or a dispatch was accepted)
    alerts.commented         a comment was added
    alerts.cleared           cleared by its rule, by an officer, or resolved in the field
    alerts.dispatch_offered  offered to field staff (change.offered_to: how many)
    alerts.dispatch_accepted one of them accepted (change.assignee_id)
    alerts.progress          the assignee sent a progress note
    alerts.reminder          still unacknowledged (a reminder was pushed)

Both the consumer's path (raw asyncpg, many alarms per batch) and the officers' routes (a session) build
their envelopes here, so the two can never drift apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.events.outbox import new_event
from mobile_contract.events import EventEnvelope, LatLon

RAISED = "alerts.raised"
UPDATED = "alerts.updated"
ACKNOWLEDGED = "alerts.acknowledged"
ASSIGNED = "alerts.assigned"
COMMENTED = "alerts.commented"
CLEARED = "alerts.cleared"
DISPATCH_OFFERED = "alerts.dispatch_offered"
DISPATCH_ACCEPTED = "alerts.dispatch_accepted"
PROGRESS = "alerts.progress"
REMINDER = "alerts.reminder"


@dataclass(frozen=True, slots=True)
class AlarmFacts:
    """What an event says about an alarm: no names of people, no free text but the titles."""

    id: uuid.UUID
    rule_id: uuid.UUID | None
    rule_version: int | None
    type: str
    severity: str
    status: str
    unit_code: str
    title_vi: str
    title_en: str
    count: int
    device_id: uuid.UUID | None
    lat: float | None
    lon: float | None
    raised_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None
    assignee_id: uuid.UUID | None

    def as_data(self) -> dict[str, Any]:
        return {
            "alarm_id": str(self.id),
            "rule_id": None if self.rule_id is None else str(self.rule_id),
            "rule_version": self.rule_version,
            "type": self.type,
            "severity": self.severity,
            "status": self.status,
            "title_vi": self.title_vi,
            "title_en": self.title_en,
            "count": self.count,
            "device_id": None if self.device_id is None else str(self.device_id),
            "raised_at": self.raised_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "cleared_at": None if self.cleared_at is None else self.cleared_at.isoformat(),
            "assignee_id": None if self.assignee_id is None else str(self.assignee_id),
        }


def alarm_event(
    event_type: str, alarm: AlarmFacts, *, change: dict[str, Any] | None = None, at: datetime | None = None
) -> EventEnvelope:
    """The envelope of one alarm change; `change` says what changed (e.g. {"severity_from": "warning"},
    {"by": "rule"}), with user ids only, never names."""
    location = None if alarm.lat is None or alarm.lon is None else LatLon(lat=alarm.lat, lon=alarm.lon)
    return new_event(
        event_type,
        unit_code=alarm.unit_code,
        subject_id=str(alarm.id),
        location=location,
        occurred_at=at,
        data={"alarm": alarm.as_data(), "change": change or {}},
    )
