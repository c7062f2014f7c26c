"""Tables of citizen reports: the report, its photos, its timeline, "me too" supports, followers, and the
idempotency keys that make a phone's retries safe.

Statuses and other closed vocabularies are strings with CHECK constraints rather than PostgreSQL enums: a
new value is then one constraint swap in a migration, not an ALTER TYPE that cannot run in a transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from feedback.reports.status import (
    OPEN_STATUSES,
    CloseReason,
    Rating,
    ReportSource,
    ReportStatus,
    SlaState,
    TimelineKind,
)

DESCRIPTION_MAX_LENGTH = 2000
ADDRESS_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 2000
MAX_PHOTOS = 5
IDEMPOTENCY_KEY_MAX_LENGTH = 100
# PA-2026-000123: "phản ánh", the year of filing, and a number that never repeats.
REPORT_CODE_PATTERN = r"^PA-[0-9]{4}-[0-9]{6,}$"

# One number for every report ever filed: a per-year counter row would serialise all submissions on it.
report_number_seq = Sequence("feedback_report_number_seq", metadata=SQLModel.metadata)


def _one_of(column: str, values: Any) -> str:
    listed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({listed})"


_OPEN_SQL = _one_of("status", sorted(OPEN_STATUSES))


def _user_fk(*, nullable: bool = True, index: bool = False) -> Any:
    # SET NULL, not CASCADE: reports are public records and stay when an account goes.
    return Field(
        default=None,
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=nullable, index=index
        ),
    )


def _unit_fk(*, nullable: bool) -> Any:
    return Field(
        default=None,
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=nullable),
    )


def _flag(*, default: bool) -> Any:
    return Field(
        default=default,
        sa_column=Column(Boolean, nullable=False, server_default=text("true" if default else "false")),
    )


def _moment(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Report(SQLModel, table=True):
    """A citizen report (phản ánh hiện trường): what, where, who is responsible, and where it stands."""

    __tablename__ = "feedback_reports"
    __table_args__ = (
        CheckConstraint(_one_of("status", ReportStatus), name="status_known"),
        CheckConstraint(_one_of("sla_state", SlaState), name="sla_state_known"),
        CheckConstraint(_one_of("source", ReportSource), name="source_known"),
        CheckConstraint(
            f"close_reason IS NULL OR {_one_of('close_reason', CloseReason)}", name="close_reason_known"
        ),
        CheckConstraint(f"rating IS NULL OR {_one_of('rating', Rating)}", name="rating_known"),
        CheckConstraint(f"code ~ '{REPORT_CODE_PATTERN}'", name="code_format"),
        CheckConstraint("support_count >= 0 AND follower_count >= 0", name="counts_not_negative"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        CheckConstraint("char_length(description) <= 2000", name="description_length"),
        # The public map: public, not merged, newest first inside a bounding box.
        Index(
            "ix_feedback_reports_public_location",
            "location",
            postgresql_using="gist",
            postgresql_where=text("is_public AND merged_into_id IS NULL"),
        ),
        # Duplicate search: open reports only, which stay a small share of the table.
        Index(
            "ix_feedback_reports_open_location",
            "location",
            postgresql_using="gist",
            postgresql_where=text(_OPEN_SQL),
        ),
        # The public feed, newest first with a (created_at, id) cursor.
        Index(
            "ix_feedback_reports_public_created",
            "created_at",
            "id",
            postgresql_where=text("is_public AND merged_into_id IS NULL"),
        ),
        # A citizen's own reports.
        Index("ix_feedback_reports_reporter_created", "reporter_id", "created_at"),
        # The officers' inbox: their units, by status, nearest deadline first.
        Index("ix_feedback_reports_unit_status_due", "unit_code", "status", "resolve_due_at"),
        # The SLA task: open reports by deadline.
        Index("ix_feedback_reports_open_due", "resolve_due_at", postgresql_where=text(_OPEN_SQL)),
        # The SLA task: reports waiting for acknowledgement, by their acknowledge deadline.
        Index(
            "ix_feedback_reports_unacknowledged_due",
            "acknowledge_due_at",
            postgresql_where=text("status = 'submitted'"),
        ),
        Index("ix_feedback_reports_category_created", "category_code", "created_at"),
        # The operations centre's KPIs: a unit's reports filed, and resolved, in a period.
        Index("ix_feedback_reports_unit_created", "unit_code", "created_at"),
        Index("ix_feedback_reports_created", "created_at"),
        Index(
            "ix_feedback_reports_unit_resolved",
            "unit_code",
            "resolved_at",
            postgresql_where=text("resolved_at IS NOT NULL"),
        ),
    )

    id: uuid.UUID = uuid_primary_key()
    code: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    category_code: str = Field(
        sa_column=Column(
            String(64), ForeignKey("feedback_categories.code", ondelete="RESTRICT"), nullable=False
        )
    )
    description: str = Field(sa_column=Column(Text, nullable=False))
    # Answers to the category's extra questions, keyed by question code, validated against the category.
    answers: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    location: Any = Field(sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False))
    address: str | None = Field(default=None, sa_column=Column(String(ADDRESS_MAX_LENGTH)))

    # Where it is (decided by the point, never changes) and who answers it (may be reassigned).
    province_code: str = _unit_fk(nullable=False)
    ward_code: str | None = _unit_fk(nullable=True)
    unit_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    )
    department_code: str = Field(
        sa_column=Column(String(16), ForeignKey("departments.code", ondelete="RESTRICT"), nullable=False)
    )
    assignee_id: uuid.UUID | None = _user_fk(index=True)

    # Who filed it. Officers always see the reporter; the public never does, and never sees anonymous ones'.
    reporter_id: uuid.UUID | None = _user_fk()
    # Contact details an Open311 client sent (email, names, phone): officers only.
    reporter_contact: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    api_key_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("api_keys.id", ondelete="SET NULL")),
    )
    source: ReportSource = Field(
        default=ReportSource.APP, sa_column=Column(String(16), nullable=False, server_default="app")
    )
    anonymous: bool = _flag(default=False)
    is_public: bool = _flag(default=True)
    urgent: bool = _flag(default=False)

    status: ReportStatus = Field(
        default=ReportStatus.SUBMITTED,
        sa_column=Column(String(16), nullable=False, server_default="submitted"),
    )
    # The latest public note on the status (reject reason, answer...): Open311's status_notes.
    status_notes: str | None = Field(default=None, sa_column=Column(Text))
    sla_state: SlaState = Field(
        default=SlaState.ON_TRACK, sa_column=Column(String(16), nullable=False, server_default="on_track")
    )

    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
    acknowledge_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_at: datetime | None = _moment()
    resolve_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # An officer may extend the resolve deadline once; the reason is in the timeline.
    deadline_extended_at: datetime | None = _moment()
    resolved_at: datetime | None = _moment()
    # The public answer given on resolution (proof photos are photos of kind "proof").
    resolution: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: datetime | None = _moment()
    close_reason: CloseReason | None = Field(default=None, sa_column=Column(String(16)))
    reopen_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))

    rating: Rating | None = Field(default=None, sa_column=Column(String(16)))
    rating_comment: str | None = Field(default=None, sa_column=Column(Text))
    rated_at: datetime | None = _moment()

    merged_into_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="SET NULL"), index=True
        ),
    )
    support_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    follower_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # Open311 tokens/{token}: what a client that posted the report can look it up by.
    open311_token: str | None = Field(default=None, sa_column=Column(String(64), unique=True))


class ReportPhoto(SQLModel, table=True):
    """A sanitised photo: uploaded first and attached on submission, or sent with it; a citizen's photo or an
    officer's proof of the fix."""

    __tablename__ = "feedback_photos"
    __table_args__ = (
        CheckConstraint("kind IN ('report', 'proof')", name="kind_known"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        Index("ix_feedback_photos_report_id", "report_id", "kind", "position"),
    )

    id: uuid.UUID = uuid_primary_key()
    # Null while uploaded and not yet attached; unattached photos are removed after a day.
    report_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="CASCADE")),
    )
    uploader_id: uuid.UUID | None = _user_fk(index=True)
    kind: str = Field(default="report", sa_column=Column(String(8), nullable=False, server_default="report"))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    media_key: str = Field(sa_column=Column(String(128), nullable=False))
    thumbnail_key: str = Field(sa_column=Column(String(128), nullable=False))
    content_type: str = Field(sa_column=Column(String(32), nullable=False))
    width: int = Field(sa_column=Column(Integer, nullable=False))
    height: int = Field(sa_column=Column(Integer, nullable=False))
    byte_size: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = timestamp_now()


class TimelineEntry(SQLModel, table=True):
    """One thing that happened to a report, in order. Staff see all of it; the reporter sees every entry with
    the public notes and facts only (feedback/reports/read.py); the public sees status changes without who
    made them."""

    __tablename__ = "feedback_timeline"
    __table_args__ = (
        CheckConstraint(_one_of("kind", TimelineKind), name="kind_known"),
        Index("ix_feedback_timeline_report_id", "report_id", "id"),
        # Open311 servicerequestupdates: the changes of a time window, polled every few minutes.
        Index("ix_feedback_timeline_at", "at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    report_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="CASCADE"), nullable=False
        )
    )
    at: datetime = timestamp_now()
    kind: TimelineKind = Field(sa_column=Column(String(24), nullable=False))
    from_status: ReportStatus | None = Field(default=None, sa_column=Column(String(16)))
    to_status: ReportStatus | None = Field(default=None, sa_column=Column(String(16)))
    actor_id: uuid.UUID | None = _user_fk()
    # citizen, officer, field_staff, admin, system (SLA task, automatic closing) or integration.
    actor_role: str = Field(sa_column=Column(String(16), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    # Kind-specific facts: old and new unit on reassignment, old and new deadline on extension...
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )


class ReportSupport(SQLModel, table=True):
    """A citizen's "me too" on a report: at most one per citizen and report."""

    __tablename__ = "feedback_supports"

    report_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = timestamp_now()


class ReportFollower(SQLModel, table=True):
    """A citizen who gets the report's status changes pushed to their phone."""

    __tablename__ = "feedback_followers"
    __table_args__ = (Index("ix_feedback_followers_user_id", "user_id", "created_at"),)

    report_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = timestamp_now()


class IdempotencyKey(SQLModel, table=True):
    """A submission's Idempotency-Key: the same key from the same caller returns the same report.

    `owner` is "user:<id>" or "api_key:<id>", so two callers never share keys. The request's hash tells a
    retry (same body) from a reused key (another body), which is refused.
    """

    __tablename__ = "feedback_idempotency_keys"

    owner: str = Field(sa_column=Column(String(64), primary_key=True))
    key: str = Field(sa_column=Column(String(IDEMPOTENCY_KEY_MAX_LENGTH), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    report_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("feedback_reports.id", ondelete="CASCADE"), nullable=False
        )
    )
    # Indexed for the clean-up of keys older than a day or so.
    created_at: datetime = timestamp_now(index=True)
