"""The active categories as submission and duplicate search need them, cached briefly in each process.

Every submission needs its category (questions, department, SLA). The catalogue changes a few times a year and
is read hundreds of times a second, so one query every few seconds serves them all. A change is seen by every
process within CACHE_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from feedback.catalogue import repository
from feedback.catalogue.schemas import QUESTIONS, Question

CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class CategoryRules:
    code: str
    default_department_code: str
    sla_acknowledge_working_hours: int
    sla_resolve_working_days: int
    duplicate_radius_m: int
    duplicate_window_days: int
    questions: tuple[Question, ...]


_cache: dict[str, CategoryRules] = {}
_loaded_at: float | None = None


def forget_categories() -> None:
    """Drop the cached catalogue, e.g. right after changing it."""
    global _loaded_at
    _cache.clear()
    _loaded_at = None


async def _load(session: AsyncSession) -> dict[str, CategoryRules]:
    rows = await repository.active_category_rows(session)
    return {
        row.code: CategoryRules(
            code=row.code,
            default_department_code=row.default_department_code,
            sla_acknowledge_working_hours=row.sla_acknowledge_working_hours,
            sla_resolve_working_days=row.sla_resolve_working_days,
            duplicate_radius_m=row.duplicate_radius_m,
            duplicate_window_days=row.duplicate_window_days,
            questions=tuple(QUESTIONS.validate_python(row.questions)),
        )
        for row in rows
    }


def category_not_found(code: str) -> ProblemError:
    return ProblemError(
        422,
        "category_not_found",
        Message(
            f"Không có loại phản ánh đang hoạt động mã {code}",
            f"No active report category has the code {code}",
        ),
    )


async def active_category(session: AsyncSession, code: str) -> CategoryRules:
    """The active category `code`; 422 category_not_found otherwise. A miss reloads the catalogue, so a new
    category is usable at once; a deactivated one may be accepted for up to CACHE_SECONDS."""
    global _loaded_at
    now = time.monotonic()
    fresh = _loaded_at is not None and now - _loaded_at < CACHE_SECONDS
    if not fresh or code not in _cache:
        loaded = await _load(session)
        _cache.clear()
        _cache.update(loaded)
        _loaded_at = now
    rules = _cache.get(code)
    if rules is None:
        raise category_not_found(code)
    return rules
