"""Push tables: the phones that receive notifications, the notifications, and the outbox sender's record."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key

# FCM registration tokens are opaque; Google documents no maximum, observed ones are 150-250 characters.
TOKEN_MAX_LENGTH = 4096
DEVICE_ID_MAX_LENGTH = 128
# FCM topic names: [a-zA-Z0-9-_.~%]{1,900}.
TOPIC_MAX_LENGTH = 900
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 1000
ERROR_MAX_LENGTH = 500
# Wards of interest one phone may follow (public warnings reach the phones following a ward they concern).
MAX_WARDS_PER_DEVICE = 20


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


class PushLanguage(StrEnum):
    VI = "vi"
    EN = "en"


class TargetKind(StrEnum):
    # One device token of one user; a notification to a user becomes one row per device at enqueue time.
    TOKEN = "token"  # noqa: S105  # a target kind, not a secret
    # An FCM topic in one language, e.g. unit-13666-vi.
    TOPIC = "topic"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def _enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(enum, name=name, values_callable=_values)


class DeviceToken(SQLModel, table=True):
    __tablename__ = "device_tokens"
    __table_args__ = (
        # The app chooses device_id (one per installation); PUT on the same id updates the row.
        UniqueConstraint("user_id", "device_id"),
        # A token addresses one installation: when it shows up under another user or device, it moves there.
        UniqueConstraint("token"),
        # "The phones following any of these wards", in one statement when a warning is published.
        Index("ix_device_tokens_wards", "wards", postgresql_using="gin"),
    )

    id: uuid.UUID = uuid_primary_key()
    user_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    device_id: str = Field(sa_column=Column(String(DEVICE_ID_MAX_LENGTH), nullable=False))
    token: str = Field(sa_column=Column(String(TOKEN_MAX_LENGTH), nullable=False))
    platform: Platform = Field(sa_column=Column(_enum(Platform, "push_platform"), nullable=False))
    language: PushLanguage = Field(sa_column=Column(_enum(PushLanguage, "push_language"), nullable=False))
    # Ward codes the person chose on this phone; empty for apps that never sent any.
    wards: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(5)), nullable=False, server_default=text("'{}'::varchar[]")),
    )
    created_at: datetime = timestamp_now()
    last_seen_at: datetime = timestamp_now()


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "(target_kind = 'token' AND user_id IS NOT NULL AND topic IS NULL) OR "
            "(target_kind = 'topic' AND user_id IS NULL AND device_token_id IS NULL "
            "AND topic IS NOT NULL AND language IS NOT NULL)",
            name="target_matches_kind",
        ),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_sent_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The dispatcher's query: pending rows whose next attempt is due.
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: uuid.UUID = uuid_primary_key()
    target_kind: TargetKind = Field(
        sa_column=Column(_enum(TargetKind, "notification_target"), nullable=False)
    )
    user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), index=True),
    )
    # SET NULL, not CASCADE: the history of what was sent outlives the token; a pending row whose token went
    # away is dropped by the dispatcher.
    device_token_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("device_tokens.id", ondelete="SET NULL"), index=True),
    )
    topic: str | None = Field(default=None, sa_column=Column(String(TOPIC_MAX_LENGTH)))
    # Only for topic rows: a device row takes the device's language when it is sent.
    language: PushLanguage | None = Field(
        default=None, sa_column=Column(_enum(PushLanguage, "push_language"))
    )
    title_vi: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    title_en: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    body_vi: str = Field(sa_column=Column(String(BODY_MAX_LENGTH), nullable=False))
    body_en: str = Field(sa_column=Column(String(BODY_MAX_LENGTH), nullable=False))
    # FCM data payload: string keys and string values only.
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    # High priority wakes the phone (Android priority high, APNs priority 10): alerts, not news.
    high_priority: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING,
        sa_column=Column(
            _enum(NotificationStatus, "notification_status"), nullable=False, server_default="pending"
        ),
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime = timestamp_now()
    last_error: str | None = Field(default=None, sa_column=Column(String(ERROR_MAX_LENGTH)))
    # The id FCM (or the outbox) gave the message, e.g. projects/x/messages/123.
    message_id: str | None = Field(default=None, sa_column=Column(String(255)))
    created_at: datetime = timestamp_now()
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class PushOutboxMessage(SQLModel, table=True):
    """What the outbox sender would have sent to FCM: the FCM v1 `message` object, for demos and tests."""

    __tablename__ = "push_outbox"

    id: uuid.UUID = uuid_primary_key()
    notification_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token: str | None = Field(default=None, sa_column=Column(String(TOKEN_MAX_LENGTH)))
    topic: str | None = Field(default=None, sa_column=Column(String(TOPIC_MAX_LENGTH)))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = timestamp_now()
