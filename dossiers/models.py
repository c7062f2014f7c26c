"""Administrative dossiers (hồ sơ thủ tục hành chính) as the agencies' one-stop systems report them.

The agencies hold the dossiers; we hold a copy kept current by their sync calls, enough to answer citizens and
to compute on-time figures. An applicant's identity is kept to the minimum: a name and a phone to show and to
notify, and the national ID number only as a keyed hash (for matching a signed-in citizen), never in clear.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from dossiers.types import DEADLINE_KINDS, AgencyLevel, Channel, OnlineLevel, Rating

# Agency codes as the national system writes them (000.00.22.H56): the dossier code puts a dash after them,
# so they may not contain one.
AGENCY_CODE_PATTERN = r"^[A-Z0-9]+(\.[A-Z0-9]+)*$"
AGENCY_CODE_MAX_LENGTH = 32
# {agency code}-{YYMMDD}-{NNNN}: the receipt's date and its number of the day (four digits or more).
DOSSIER_CODE_MAX_LENGTH = AGENCY_CODE_MAX_LENGTH + 15
PROCEDURE_CODE_MAX_LENGTH = 40
NAME_MAX_LENGTH = 300
PERSON_NAME_MAX_LENGTH = 200


def _listed(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def one_of(column: str, values: type[StrEnum]) -> str:
    return _listed(column, tuple(value.value for value in values))


def _moment(*, nullable: bool) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _unit_code(*, index: bool) -> Any:
    return Field(
        sa_column=Column(
            String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False, index=index
        )
    )


class Agency(SQLModel, table=True):
    """An agency with a one-stop office (a department of the province, a commune's people's committee)."""

    __tablename__ = "dossier_agencies"
    __table_args__ = (
        CheckConstraint(f"code ~ '{AGENCY_CODE_PATTERN}'", name="code_format"),
        CheckConstraint(one_of("level", AgencyLevel), name="level_known"),
    )

    id: uuid.UUID = uuid_primary_key()
    code: str = Field(sa_column=Column(String(AGENCY_CODE_MAX_LENGTH), nullable=False, unique=True))
    name_vi: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    name_en: str | None = Field(default=None, sa_column=Column(String(NAME_MAX_LENGTH)))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    # The unit whose figures the agency's dossiers count in, and whose officers see them.
    unit_code: str = _unit_code(index=True)
    created_at: datetime = timestamp_now()


class AgencyKey(SQLModel, table=True):
    """Binds an API key (scope dossiers:sync) to the one agency whose dossiers it may write. Several keys per
    agency so that a key can be rotated without a gap."""

    __tablename__ = "dossier_agency_keys"

    api_key_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    )
    agency_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True),
            ForeignKey("dossier_agencies.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    created_at: datetime = timestamp_now()


class Procedure(SQLModel, table=True):
    """An administrative procedure of the national catalogue (thủ tục hành chính)."""

    __tablename__ = "dossier_procedures"
    __table_args__ = (
        CheckConstraint(_listed("deadline_kind", DEADLINE_KINDS), name="deadline_kind_known"),
        CheckConstraint(
            "(deadline_kind = 'same_day') = (deadline_amount = 0) AND deadline_amount >= 0",
            name="deadline_amount_fits_kind",
        ),
        CheckConstraint(one_of("level", AgencyLevel), name="level_known"),
        CheckConstraint(one_of("online_level", OnlineLevel), name="online_level_known"),
        CheckConstraint("fee_vnd IS NULL OR fee_vnd >= 0", name="fee_not_negative"),
        # The public search: trigram matches of words and phrases, and similarity, on the folded text.
        Index(
            "ix_dossier_procedures_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # The catalogue in alphabetical order, page by page.
        Index("ix_dossier_procedures_name_folded", "name_folded", "code"),
    )

    id: uuid.UUID = uuid_primary_key()
    # The national code, e.g. 1.003560.000.00.00.H56.
    code: str = Field(sa_column=Column(String(PROCEDURE_CODE_MAX_LENGTH), nullable=False, unique=True))
    name_vi: str = Field(sa_column=Column(Text, nullable=False))
    name_en: str | None = Field(default=None, sa_column=Column(Text))
    field_vi: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    field_en: str | None = Field(default=None, sa_column=Column(String(NAME_MAX_LENGTH)))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    deadline_kind: str = Field(sa_column=Column(String(16), nullable=False))
    # Days or hours by kind; 0 for same-day procedures. Working hours may be fractional (4.5).
    deadline_amount: Decimal = Field(sa_column=Column(Numeric(6, 2), nullable=False))
    # After a request for more documents the deadline normally runs afresh from their arrival; some
    # procedures resume the time that was left instead.
    resume_after_request: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    # Null: no fee. The note says what varies (per copy, per square metre).
    fee_vnd: int | None = Field(default=None, sa_column=Column(BigInteger))
    fee_note_vi: str | None = Field(default=None, sa_column=Column(Text))
    fee_note_en: str | None = Field(default=None, sa_column=Column(Text))
    online_level: str = Field(sa_column=Column(String(16), nullable=False))
    # [{"name_vi", "name_en", "copies", "original"}]: what the applicant brings.
    documents: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    # Lower case, diacritics removed (đ as d), of code, name and field: what the public search matches.
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    # The Vietnamese name folded the same way: the catalogue's alphabetical order, and the name's prefix
    # match that ranks first in search.
    name_folded: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()


class Dossier(SQLModel, table=True):
    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint("status BETWEEN 1 AND 10", name="status_known"),
        CheckConstraint(one_of("channel", Channel), name="channel_known"),
        CheckConstraint("document_requests >= 0", name="document_requests_not_negative"),
        CheckConstraint("fee_vnd IS NULL OR fee_vnd >= 0", name="fee_not_negative"),
        # A signed-in citizen's dossiers, by verified phone or by national ID.
        Index(
            "ix_dossiers_applicant_phone",
            "applicant_phone",
            postgresql_where=text("applicant_phone IS NOT NULL"),
        ),
        Index(
            "ix_dossiers_applicant_id_hash",
            "applicant_id_hash",
            postgresql_where=text("applicant_id_hash IS NOT NULL"),
        ),
        # On-time figures per agency or unit and period of receipt.
        Index("ix_dossiers_agency_received", "agency_id", "received_at"),
        Index("ix_dossiers_unit_received", "unit_code", "received_at"),
        # Open dossiers by due date (due soon, overdue).
        Index("ix_dossiers_open_due", "due_at", postgresql_where=text("finished_at IS NULL")),
    )

    id: uuid.UUID = uuid_primary_key()
    code: str = Field(sa_column=Column(String(DOSSIER_CODE_MAX_LENGTH), nullable=False, unique=True))
    agency_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("dossier_agencies.id", ondelete="RESTRICT"), nullable=False
        )
    )
    procedure_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True),
            ForeignKey("dossier_procedures.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        )
    )
    # The agency's unit, or the commune that received it for an agency working across communes.
    unit_code: str = _unit_code(index=False)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    status: int = Field(sa_column=Column(SmallInteger, nullable=False))
    # When the current status was reached, as the agency reported it: an update older than this is stale.
    status_at: datetime = _moment(nullable=False)
    applicant_name: str = Field(sa_column=Column(String(PERSON_NAME_MAX_LENGTH), nullable=False))
    # E.164. Shown to nobody but the agency; it links a signed-in citizen and receives the SMS she asked for.
    applicant_phone: str | None = Field(default=None, sa_column=Column(String(16)))
    # HMAC-SHA256 (hex) of the national ID number under a key of ours: matches, never reveals.
    applicant_id_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    # HMAC-SHA256 (hex) of the dossier code and the ID number's last four digits: the lookup's second factor
    # without keeping those digits.
    id_suffix_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    # The applicant asked at the counter for an SMS on receipt, on a request for documents, on the result.
    sms_opt_in: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    received_at: datetime = _moment(nullable=False)
    # Null while the clock is stopped for more documents.
    due_at: datetime | None = _moment(nullable=True)
    # The first due date, before any apology's new date; the on-time figures compare against this one.
    original_due_at: datetime | None = _moment(nullable=True)
    # The clock stopped (status 5) at this moment, with this much time left (seconds) for procedures that
    # resume it.
    paused_at: datetime | None = _moment(nullable=True)
    remaining_seconds: int | None = Field(default=None, sa_column=Column(Integer))
    document_requests: int = Field(
        default=0, sa_column=Column(SmallInteger, nullable=False, server_default=text("0"))
    )
    # Counts as late whatever the dates say (a second request for documents).
    forced_late: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    # When handling ended (result ready, refused, stopped, withdrawn) and when the result was handed over.
    finished_at: datetime | None = _moment(nullable=True)
    returned_at: datetime | None = _moment(nullable=True)
    # What the applicant must do next: {"documents": [...], "fee_vnd": n, "note_vi": ..., "note_en": ...}.
    next_action: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    # The fee charged for this dossier as the agency reported it (the catalogue's fee may vary per case).
    fee_vnd: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()


class DossierStep(SQLModel, table=True):
    """One status change of a dossier, as the agency reported it."""

    __tablename__ = "dossier_steps"
    __table_args__ = (
        CheckConstraint("status BETWEEN 1 AND 10", name="status_known"),
        # The same update sent twice is the same step: (dossier, moment, status) names it.
        UniqueConstraint("dossier_id", "at", "status", name="uq_dossier_steps_update"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    dossier_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False)
    )
    status: int = Field(sa_column=Column(SmallInteger, nullable=False))
    previous_status: int | None = Field(default=None, sa_column=Column(SmallInteger))
    at: datetime = _moment(nullable=False)
    unit_name: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    officer_name: str | None = Field(default=None, sa_column=Column(String(PERSON_NAME_MAX_LENGTH)))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    # Internal hand-overs are kept for the agency but not shown to the applicant.
    public: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_at: datetime = timestamp_now()


class Apology(SQLModel, table=True):
    """A letter of apology (thư xin lỗi) for a late dossier, with the new date promised."""

    __tablename__ = "dossier_apologies"
    # The same letter sent twice is the same apology: (dossier, issue time) names it.
    __table_args__ = (UniqueConstraint("dossier_id", "issued_at", name="uq_dossier_apologies_issue"),)

    id: uuid.UUID = uuid_primary_key()
    dossier_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    reason_vi: str = Field(sa_column=Column(Text, nullable=False))
    reason_en: str | None = Field(default=None, sa_column=Column(Text))
    new_due_at: datetime = _moment(nullable=False)
    # Sent by the agency's system (through sync) or written by an officer here.
    agency_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dossier_agencies.id", ondelete="SET NULL")),
    )
    author_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    issued_at: datetime = _moment(nullable=False)
    created_at: datetime = timestamp_now()


class DossierFollower(SQLModel, table=True):
    __tablename__ = "dossier_followers"

    dossier_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = timestamp_now()


class DossierRating(SQLModel, table=True):
    """The applicant's rating of how her dossier was handled: once, after the result was returned."""

    __tablename__ = "dossier_ratings"
    __table_args__ = (CheckConstraint(one_of("rating", Rating), name="rating_known"),)

    dossier_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    rating: str = Field(sa_column=Column(String(16), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = timestamp_now()
