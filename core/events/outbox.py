"""Emitting an event: one outbox row in the caller's transaction.

The caller's unit of work commits the change and its event together, or neither. The relay (core.events.relay)
copies committed rows to the Redis Stream; it may, after a crash between the copy and its own commit, copy an
event twice, so consumers drop duplicates by the envelope's id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.events import repository
from mobile_contract.events import EventEnvelope, LatLon, Topic

KNOWN_TOPICS = frozenset(topic.value for topic in Topic)


class UnknownTopicError(ValueError):
    """An event type whose first segment is no topic clients can subscribe to."""


async def emit(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Add the event to the caller's transaction; never commits."""
    if envelope.topic not in KNOWN_TOPICS:
        raise UnknownTopicError(f"event type {envelope.type!r}: {envelope.topic!r} is not a topic")
    await repository.insert_event(session, envelope)


async def emit_many(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
    """emit() for many events in one statement (an agency's batch of a thousand updates), in this order."""
    _check_topics(envelopes)
    await repository.insert_events(session, envelopes)


def _check_topics(envelopes: list[EventEnvelope]) -> None:
    for envelope in envelopes:
        if envelope.topic not in KNOWN_TOPICS:
            raise UnknownTopicError(f"event type {envelope.type!r}: {envelope.topic!r} is not a topic")


async def emit_raw(connection: Any, envelopes: list[EventEnvelope]) -> None:
    """emit() for an asyncpg connection inside its transaction (the ingest consumer's batch hook): many
    events in one statement; never commits."""
    _check_topics(envelopes)
    await repository.insert_events_raw(connection, envelopes)


def new_event(
    type_: str,
    *,
    unit_code: str | None,
    subject_id: str | None,
    data: dict[str, Any],
    location: LatLon | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    """An envelope with a fresh id, occurring now unless told otherwise."""
    return EventEnvelope(
        id=uuid.uuid4(),
        type=type_,
        occurred_at=occurred_at or datetime.now(UTC),
        unit_code=unit_code,
        location=location,
        subject_id=subject_id,
        data=data,
    )
