"""All SQL of the report catalogue: upsert departments and categories, read the active categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.catalogue.models import Department, FeedbackCategory
from feedback.catalogue.schemas import (
    QUESTIONS,
    CategoryDefinition,
    CategoryRead,
    DepartmentDefinition,
    DepartmentSummary,
)

departments: Table = Department.metadata.tables["departments"]
categories: Table = FeedbackCategory.metadata.tables["feedback_categories"]

_DEPARTMENT_COLUMNS = ("name_vi", "name_en", "province_code", "active")
_CATEGORY_COLUMNS = (
    "name_vi",
    "name_en",
    "description_vi",
    "description_en",
    "group",
    "keywords",
    "default_department_code",
    "sla_acknowledge_working_hours",
    "sla_resolve_working_days",
    "duplicate_radius_m",
    "duplicate_window_days",
    "questions",
    "sort_order",
    "active",
)


async def _upsert(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], columns: Sequence[str]
) -> None:
    if not rows:
        return
    statement = insert(table).values(rows)
    excluded = statement.excluded
    # An unchanged row is left alone, so that re-seeding keeps updated_at meaningful.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.code],
            set_={**{name: excluded[name] for name in columns}, "updated_at": func.now()},
            where=tuple_(*(table.c[name] for name in columns)).is_distinct_from(
                tuple_(*(excluded[name] for name in columns))
            ),
        )
    )


async def upsert_departments(session: AsyncSession, batch: Sequence[DepartmentDefinition]) -> None:
    await _upsert(session, departments, [item.model_dump() for item in batch], _DEPARTMENT_COLUMNS)


async def upsert_categories(session: AsyncSession, batch: Sequence[CategoryDefinition]) -> None:
    # mode="json" turns the questions into plain JSON for the jsonb column.
    await _upsert(session, categories, [item.model_dump(mode="json") for item in batch], _CATEGORY_COLUMNS)


def _category_query() -> Select[Any]:
    return (
        select(
            categories,
            departments.c.name_vi.label("department_name_vi"),
            departments.c.name_en.label("department_name_en"),
            departments.c.province_code.label("department_province_code"),
        )
        .join(departments, departments.c.code == categories.c.default_department_code)
        .where(categories.c.active)
    )


def _category(row: Any) -> CategoryRead:
    return CategoryRead(
        code=row.code,
        name_vi=row.name_vi,
        name_en=row.name_en,
        description_vi=row.description_vi,
        description_en=row.description_en,
        group=row.group,
        keywords=list(row.keywords),
        department=DepartmentSummary(
            code=row.default_department_code,
            name_vi=row.department_name_vi,
            name_en=row.department_name_en,
            province_code=row.department_province_code,
        ),
        sla_acknowledge_working_hours=row.sla_acknowledge_working_hours,
        sla_resolve_working_days=row.sla_resolve_working_days,
        # Validated again on the way out: a row edited by hand must not reach a phone malformed.
        questions=QUESTIONS.validate_python(row.questions),
        sort_order=row.sort_order,
    )


async def list_active_categories(session: AsyncSession) -> list[CategoryRead]:
    statement = _category_query().order_by(categories.c.sort_order, categories.c.code)
    return [_category(row) for row in await session.execute(statement)]


async def get_active_category(session: AsyncSession, code: str) -> CategoryRead | None:
    row = (await session.execute(_category_query().where(categories.c.code == code))).first()
    return _category(row) if row is not None else None


async def active_category_rows(session: AsyncSession) -> list[FeedbackCategory]:
    """Every active category as stored, for the per-process cache of submission rules."""
    rows = await session.execute(select(FeedbackCategory).where(col(FeedbackCategory.active)))
    return list(rows.scalars())
