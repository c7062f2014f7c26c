"""All SQL of the event machinery: outbox rows, the relay's lock and batches, retention, announcements."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import BigInteger, DateTime, Float, String
from sqlalchemy.types import Uuid as UuidType

from core.events.models import Announcement, OutboxEvent
from mobile_contract.events import EventEnvelope, LatLon

outbox: Table = OutboxEvent.metadata.tables["event_outbox"]
announcements: Table = Announcement.metadata.tables["announcements"]

# The relay LISTENs here; emit() NOTIFYs, and PostgreSQL delivers the notification only when (and if) the
# emitting transaction commits.
NOTIFY_CHANNEL = "smartcity_events"
# Session-level advisory lock held by the one active relay of a database.
RELAY_LOCK_KEY = 0x5C1E_0E7E


# The row and the relay's wake-up in one round trip. NOTIFY is delivered only when (and if) the transaction
# commits, and identical notifications of one transaction are folded into one.
_INSERT_AND_NOTIFY = text("""
WITH inserted AS (
    INSERT INTO event_outbox (event_id, type, topic, occurred_at, unit_code, location, subject_id, data)
    VALUES (:event_id, :type, :topic, :occurred_at, :unit_code,
            CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
            :subject_id, :data)
    RETURNING 1
)
SELECT pg_notify(:channel, '') FROM inserted
""").bindparams(
    bindparam("event_id", type_=UuidType),
    bindparam("occurred_at", type_=DateTime(timezone=True)),
    bindparam("lon", type_=Float),
    bindparam("lat", type_=Float),
    bindparam("data", type_=JSONB),
)


async def insert_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Add the event's outbox row and wake the relay, in the caller's transaction."""
    location = envelope.location
    await session.execute(
        _INSERT_AND_NOTIFY,
        {
            "event_id": envelope.id,
            "type": envelope.type,
            "topic": envelope.topic,
            "occurred_at": envelope.occurred_at,
            "unit_code": envelope.unit_code,
            "lon": None if location is None else location.lon,
            "lat": None if location is None else location.lat,
            "subject_id": envelope.subject_id,
            "data": envelope.data,
            "channel": NOTIFY_CHANNEL,
        },
    )


# Many events on a raw asyncpg connection (the ingest consumer's batch): one statement, one wake-up.
_INSERT_MANY_AND_NOTIFY = """
WITH inserted AS (
    INSERT INTO event_outbox (event_id, type, topic, occurred_at, unit_code, location, subject_id, data)
    SELECT u.event_id, u.type, u.topic, u.occurred_at, u.unit_code,
           CASE WHEN u.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END,
           u.subject_id, u.data
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::float8[],
                $7::float8[], $8::text[], $9::jsonb[])
         AS u(event_id, type, topic, occurred_at, unit_code, lon, lat, subject_id, data)
    RETURNING 1
)
SELECT pg_notify($10, '') FROM (SELECT 1 FROM inserted LIMIT 1) AS any_inserted
"""


def _columns(envelopes: list[EventEnvelope]) -> list[list[Any]]:
    """The outbox rows of `envelopes` as the nine arrays the multi-row insert unnests."""
    columns: list[list[Any]] = [[] for _ in range(9)]
    for envelope in envelopes:
        location = envelope.location
        values = (
            envelope.id,
            envelope.type,
            envelope.topic,
            envelope.occurred_at,
            envelope.unit_code,
            None if location is None else location.lon,
            None if location is None else location.lat,
            envelope.subject_id,
            json.dumps(envelope.data, ensure_ascii=False),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


async def insert_events_raw(connection: Any, envelopes: list[EventEnvelope]) -> None:
    """The outbox rows of `envelopes` on an asyncpg connection, in its transaction (in this order)."""
    if not envelopes:
        return
    await connection.execute(_INSERT_MANY_AND_NOTIFY, *_columns(envelopes), NOTIFY_CHANNEL)


async def insert_events(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
    """insert_events_raw() on the session's own asyncpg connection: the same statement, in the session's
    transaction, one round trip whatever the number of events."""
    if not envelopes:
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a live connection of the session's transaction
    await driver.execute(_INSERT_MANY_AND_NOTIFY, *_columns(envelopes), NOTIFY_CHANNEL)


# -- The relay ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingEvent:
    row_id: int
    envelope: EventEnvelope | None  # None for a row that is not a valid event


_PENDING = text("""
SELECT id, event_id, type, occurred_at, unit_code, ST_Y(location) AS lat, ST_X(location) AS lon,
       subject_id, data
FROM event_outbox
WHERE relayed_at IS NULL
ORDER BY id
LIMIT :limit
FOR UPDATE SKIP LOCKED
""").columns(
    id=BigInteger,
    event_id=UuidType,
    type=String,
    occurred_at=DateTime(timezone=True),
    unit_code=String,
    subject_id=String,
    data=JSONB,
)

_MARK_RELAYED = text("UPDATE event_outbox SET relayed_at = now() WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(BigInteger))
)

# Chunked so that the retention job never holds many row locks or one long transaction.
_DELETE_RELAYED = text("""
DELETE FROM event_outbox
WHERE id IN (
    SELECT id FROM event_outbox
    WHERE created_at < :cutoff AND relayed_at IS NOT NULL
    LIMIT :limit
)
""")


async def pending_events(connection: AsyncConnection, limit: int) -> list[PendingEvent]:
    """The oldest unrelayed events, locked for this transaction (rows locked by another are skipped)."""
    rows = (await connection.execute(_PENDING, {"limit": limit})).all()
    return [PendingEvent(row_id=row.id, envelope=_envelope(row)) for row in rows]


def _envelope(row: Any) -> EventEnvelope | None:
    try:
        location = None if row.lat is None else LatLon(lat=row.lat, lon=row.lon)
        return EventEnvelope(
            id=row.event_id,
            type=row.type,
            occurred_at=row.occurred_at,
            unit_code=row.unit_code,
            location=location,
            subject_id=row.subject_id,
            data=row.data,
        )
    except ValidationError:
        return None


async def mark_relayed(connection: AsyncConnection, row_ids: list[int]) -> None:
    await connection.execute(_MARK_RELAYED, {"ids": row_ids})


async def delete_relayed_before(connection: AsyncConnection, cutoff: datetime, limit: int) -> int:
    result = await connection.execute(_DELETE_RELAYED, {"cutoff": cutoff, "limit": limit})
    return int(getattr(result, "rowcount", 0) or 0)


# -- Units -------------------------------------------------------------------------------------------------


async def unit_label_point(session: AsyncSession, unit_code: str) -> LatLon | None:
    """A point inside the unit (its label point), or None when no such unit exists."""
    row = (
        await session.execute(
            text("SELECT ST_Y(centroid) AS lat, ST_X(centroid) AS lon FROM admin_units WHERE code = :code"),
            {"code": unit_code},
        )
    ).first()
    return None if row is None else LatLon(lat=round(row.lat, 7), lon=round(row.lon, 7))


# -- Announcements -----------------------------------------------------------------------------------------


async def insert_announcement(
    session: AsyncSession,
    *,
    unit_code: str,
    title_vi: str,
    title_en: str | None,
    body: str,
    author_id: uuid.UUID,
) -> tuple[uuid.UUID, datetime]:
    row = (
        await session.execute(
            insert(announcements)
            .values(unit_code=unit_code, title_vi=title_vi, title_en=title_en, body=body, author_id=author_id)
            .returning(announcements.c.id, announcements.c.published_at)
        )
    ).one()
    return row.id, row.published_at
