"""Accounts. One account per person for every citizen service; staff accounts belong to a unit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, Column, DateTime, Enum, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from core.identity.principal import Role


def _utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # Staff sign in with a username and belong to a unit (admins may be province-wide with no unit).
        CheckConstraint(
            "role = 'citizen' OR username IS NOT NULL", name="staff_have_username"
        ),
        CheckConstraint(
            "role NOT IN ('officer', 'field_staff') OR unit_code IS NOT NULL", name="field_roles_have_unit"
        ),
        # A citizen account keeps its phone until it is deleted (anonymised).
        CheckConstraint(
            "role <> 'citizen' OR phone IS NOT NULL OR deleted_at IS NOT NULL", name="citizens_have_phone"
        ),
    )

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        sa_column=Column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    )
    role: Role = Field(
        sa_column=Column(Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e]),
                         nullable=False, index=True)
    )
    # E.164, e.g. +84912345678; 0912345678 and +84912345678 are the same person.
    phone: str | None = Field(default=None, sa_column=Column(String(16), unique=True))
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
    created_at: datetime = Field(
        default_factory=_utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    updated_at: datetime = Field(
        default_factory=_utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    # Set when the citizen deleted the account: personal data is erased, the row stays so that their reports
    # keep a (now anonymous) author.
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
