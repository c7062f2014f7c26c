"""Helpers for the incident tests: alarms raised as the rules raise them (row, timeline entry, event),
the reactions run as the alerts task runs them, places a given distance away, and the events emitted."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.events.models import OutboxEvent
from core.settings import Settings
from ioc.alarms import events as alarm_events
from ioc.alarms import journal
from ioc.alarms.models import Alarm
from ioc.alarms.reactions import react_once
from ioc.alarms.repository.journal import facts_of
from ioc.incidents.models import IncidentMember
from ioc.rules.models import AlertRuleVersion
from ioc.types import Severity
from tests.support.alarms import NAM_DINH, make_alarm

METRES_PER_DEGREE = 111_320.0


def moved(
    east_m: float = 0.0, north_m: float = 0.0, start: tuple[float, float] = NAM_DINH
) -> tuple[float, float]:
    """(lon, lat) of the point `east_m` east and `north_m` north of `start`."""
    lon, lat = start
    return (
        lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
        lat + north_m / METRES_PER_DEGREE,
    )


async def raise_alarm(
    session: AsyncSession,
    rule: AlertRuleVersion,
    *,
    at: tuple[float, float] = NAM_DINH,
    severity: Severity = Severity.WARNING,
    unit_code: str = "13666",
    raised_at: datetime | None = None,
) -> Alarm:
    """An alarm with its `raised` entry waiting for its reactions, as the rules leave it."""
    alarm = await make_alarm(
        session, rule, lon=at[0], lat=at[1], severity=severity, unit_code=unit_code, raised_at=raised_at
    )
    facts = await facts_of(session, alarm.id)
    assert facts is not None
    await journal.record(session, facts, kind=journal.RAISED, event_type=alarm_events.RAISED)
    return alarm


async def change_alarm(session: AsyncSession, alarm: Alarm, kind: str, **values: Any) -> None:
    """Change the alarm's row as the rules or an officer would, and add the entry of `kind`."""
    for name, value in values.items():
        setattr(alarm, name, value)
    await session.flush()
    facts = await facts_of(session, alarm.id)
    assert facts is not None
    await journal.record(session, facts, kind=kind, event_type=None)


async def clear(session: AsyncSession, alarm: Alarm) -> None:
    await change_alarm(
        session, alarm, journal.CLEARED, status="cleared_unacknowledged", cleared_at=datetime.now(UTC)
    )


async def react(session: AsyncSession, settings: Settings) -> None:
    """Run the reactions until no entry waits, as the alerts task does."""
    while await react_once(session, settings):
        pass


async def events_of(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    """The data of every `event_type` event emitted in this test's transaction, oldest first."""
    rows = await session.scalars(
        select(OutboxEvent).where(col(OutboxEvent.type) == event_type).order_by(col(OutboxEvent.id))
    )
    return [row.data for row in rows]


async def incident_of_two(
    session: AsyncSession, settings: Settings, rule: AlertRuleVersion, *, east_m: float = 0.0
) -> tuple[Alarm, Alarm, uuid.UUID]:
    """Two alarms of `rule` 100 m apart (the second the more severe), linked by the rules: (the alarms,
    their incident's id)."""
    first = await raise_alarm(session, rule, at=moved(east_m=east_m), severity=Severity.WARNING)
    second = await raise_alarm(session, rule, at=moved(east_m=east_m + 100), severity=Severity.MAJOR)
    await react(session, settings)
    incident_id = await session.scalar(
        select(col(IncidentMember.incident_id)).where(col(IncidentMember.member_id) == first.id)
    )
    assert isinstance(incident_id, uuid.UUID)
    return first, second, incident_id
