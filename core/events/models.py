"""Tables of the event machinery: the transactional outbox, and announcements (the first product events)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key


class OutboxEvent(SQLModel, table=True):
    """An event written in the same transaction as the change it describes; the relay copies committed rows
    to the Redis Stream and stamps relayed_at. A rolled-back change leaves no event; a Redis outage loses
    none."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        # The relay's only query: the oldest unrelayed rows. The partial index stays as small as the backlog.
        Index("ix_event_outbox_unrelayed", "id", postgresql_where=text("relayed_at IS NULL")),
    )

    # Insertion order; the relay reads in this order. Clients never see it (their cursor is the stream's).
    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False, unique=True))
    type: str = Field(max_length=100)
    topic: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    unit_code: str | None = Field(default=None, max_length=5)
    location: Any = Field(
        default=None, sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    )
    subject_id: str | None = Field(default=None, max_length=100)
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # Indexed for the retention job, which deletes relayed rows by age.
    created_at: datetime = timestamp_now(index=True)
    relayed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Announcement(SQLModel, table=True):
    """A notice an officer publishes to the people and staff of a unit (water cut, road closure...)."""

    __tablename__ = "announcements"

    id: uuid.UUID = uuid_primary_key()
    unit_code: str = Field(
        sa_column=Column(
            String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    title_vi: str = Field(max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # The account that published it, as named by its token. Not a foreign key: an announcement is a public
    # record that stays when the account is anonymised or removed.
    author_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    published_at: datetime = timestamp_now()
