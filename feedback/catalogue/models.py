"""Tables of the citizen-report catalogue: the departments answering reports and the report categories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.db import timestamp_now

DEPARTMENT_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"
# The category code is the Open311 service_code that clients keep: a lowercase slug, never renamed.
CATEGORY_CODE_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
NAME_MAX_LENGTH = 200


class Department(SQLModel, table=True):
    """A provincial department (sở, ban, ngành) that receives the reports of its categories by default."""

    __tablename__ = "departments"
    __table_args__ = (CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,15}$'", name="code_format"),)

    code: str = Field(sa_column=Column(String(16), primary_key=True))
    name_vi: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    name_en: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    # The province the department serves: reports are routed within it.
    province_code: str = Field(
        sa_column=Column(
            String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()


class FeedbackCategory(SQLModel, table=True):
    """A kind of problem a citizen can report, with its extra questions, default department and SLA."""

    __tablename__ = "feedback_categories"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9_]{1,63}$'", name="code_format"),
        CheckConstraint("sla_acknowledge_working_hours > 0", name="sla_acknowledge_positive"),
        CheckConstraint("sla_resolve_working_days > 0", name="sla_resolve_positive"),
        CheckConstraint("duplicate_radius_m > 0", name="duplicate_radius_positive"),
        CheckConstraint("duplicate_window_days > 0", name="duplicate_window_positive"),
        CheckConstraint("jsonb_typeof(questions) = 'array'", name="questions_is_array"),
    )

    code: str = Field(sa_column=Column(String(64), primary_key=True))
    name_vi: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    name_en: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    description_vi: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    description_en: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The Open311 group, e.g. "infrastructure": clients show categories under these headings.
    group: str = Field(sa_column=Column(String(64), nullable=False))
    keywords: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    )
    default_department_code: str = Field(
        sa_column=Column(
            String(16), ForeignKey("departments.code", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    sla_acknowledge_working_hours: int = Field(
        default=8, sa_column=Column(Integer, nullable=False, server_default="8")
    )
    sla_resolve_working_days: int = Field(sa_column=Column(Integer, nullable=False))
    # Duplicate search: open reports of the same category within this radius and this many past days.
    duplicate_radius_m: int = Field(sa_column=Column(Integer, nullable=False))
    duplicate_window_days: int = Field(sa_column=Column(Integer, nullable=False))
    # Validated by feedback.catalogue.schemas.Question on the way in and on the way out; the column only
    # holds them.
    questions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    sort_order: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
