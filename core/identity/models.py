"""Accounts, sign-in codes, the SMS outbox, refresh tokens and API keys.

One account per person for every citizen service; staff accounts belong to a unit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from core.identity.principal import Role


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # Staff sign in with a username and belong to a unit (admins may be province-wide with no unit).
        CheckConstraint("role = 'citizen' OR username IS NOT NULL", name="staff_have_username"),
        CheckConstraint(
            "role NOT IN ('officer', 'field_staff') OR unit_code IS NOT NULL", name="field_roles_have_unit"
        ),
        # A citizen account keeps its phone until it is deleted (anonymised).
        CheckConstraint(
            "role <> 'citizen' OR phone IS NOT NULL OR deleted_at IS NOT NULL", name="citizens_have_phone"
        ),
    )

    id: uuid.UUID = uuid_primary_key()
    role: Role = Field(
        sa_column=Column(
            Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e]),
            nullable=False,
            index=True,
        )
    )
    # E.164, e.g. +84912345678; 0912345678 and +84912345678 are the same person.
    phone: str | None = Field(default=None, sa_column=Column(String(16), unique=True))
    # HMAC-SHA256 (hex) of the citizen's national ID number, set only by a verified source (the national
    # identity provider), never by the citizen herself: it links the dossiers filed under that number.
    national_id_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    # Lower case; staff only.
    username: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    password_hash: str | None = Field(default=None, max_length=255)
    display_name: str | None = Field(default=None, max_length=200)
    unit_code: str | None = Field(
        default=None,
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True),
    )
    language: str = Field(default="vi", max_length=5)
    is_active: bool = Field(default=True)
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
    # Set when the citizen deleted the account: personal data is erased, the row stays so that their reports
    # keep a (now anonymous) author.
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


def _uuid_key() -> Any:
    return uuid_primary_key()


def _created_at() -> Any:
    return timestamp_now()


def _moment(*, nullable: bool) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OtpChallenge(SQLModel, table=True):
    """A one-time sign-in code sent to a phone. Only the newest challenge of a phone can be answered."""

    __tablename__ = "otp_challenges"
    __table_args__ = (
        # "The newest challenge of this phone" is the only lookup.
        Index("ix_otp_challenges_phone_created_at", "phone", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: uuid.UUID = _uuid_key()
    phone: str = Field(sa_column=Column(String(16), nullable=False))
    # HMAC-SHA256 of phone and code, hex; the code itself is never stored.
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    created_at: datetime = _created_at()
    expires_at: datetime = _moment(nullable=False)
    consumed_at: datetime | None = _moment(nullable=True)


class SmsMessage(SQLModel, table=True):
    """A text message kept in the outbox: the default sender stores codes here instead of sending them."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_phone_created_at", "phone", "created_at"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="known_status"),
    )

    id: uuid.UUID = _uuid_key()
    phone: str = Field(sa_column=Column(String(16), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    # pending: waiting in the outbox (in the demo nobody sends it: people and tests read it here).
    status: str = Field(
        default="pending", sa_column=Column(String(16), nullable=False, server_default=text("'pending'"))
    )
    created_at: datetime = _created_at()
    sent_at: datetime | None = _moment(nullable=True)


class RefreshToken(SQLModel, table=True):
    """A rotating refresh token. Each use replaces it with a child in the same family; presenting a token
    that was already replaced means it leaked, and the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = _uuid_key()
    user_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Every token descending from one sign-in shares the family id of the first.
    family_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False, index=True))
    parent_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("refresh_tokens.id", ondelete="SET NULL")),
    )
    # SHA-256 of the opaque token, hex.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True, index=True))
    created_at: datetime = _created_at()
    expires_at: datetime = _moment(nullable=False)
    rotated_at: datetime | None = _moment(nullable=True)
    revoked_at: datetime | None = _moment(nullable=True)


class ApiKey(SQLModel, table=True):
    """A key for an agency system or an integration, with the scopes it may use. Shown once, stored hashed."""

    __tablename__ = "api_keys"

    id: uuid.UUID = _uuid_key()
    name: str = Field(sa_column=Column(String(100), nullable=False))
    # The public part of the key, e.g. "k3x9a0bz" in sc_k3x9a0bz_..., so that people can tell keys apart.
    prefix: str = Field(sa_column=Column(String(8), nullable=False))
    # SHA-256 of the whole key, hex.
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True, index=True))
    scopes: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    created_by: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = _created_at()
    last_used_at: datetime | None = _moment(nullable=True)
    revoked_at: datetime | None = _moment(nullable=True)
