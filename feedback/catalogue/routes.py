"""The report catalogue, read-only and public: which categories a citizen can report in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from core.errors import Message, ProblemError
from core.http.deps import SessionDep
from core.http.policies import PUBLIC
from core.http.responses import PUBLIC_OPENAPI, problem
from feedback.catalogue import repository
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.catalogue.schemas import CategoryRead

CATEGORY_NOT_FOUND = problem(404, "No active category has this code (code category_not_found)")

CategoryCodePath = Annotated[
    str,
    Path(
        pattern=CATEGORY_CODE_PATTERN,
        description="The category's code (Open311 service_code).",
        examples=["road_damage"],
    ),
]

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


@router.get(
    "/categories",
    response_model=list[CategoryRead],
    summary="Active report categories, in display order, with their extra questions",
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC],
)
async def list_categories(db: SessionDep) -> list[CategoryRead]:
    return await repository.list_active_categories(db)


@router.get(
    "/categories/{code}",
    response_model=CategoryRead,
    summary="One active report category",
    responses=CATEGORY_NOT_FOUND,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC],
)
async def get_category(db: SessionDep, code: CategoryCodePath) -> CategoryRead:
    category = await repository.get_active_category(db, code)
    if category is None:
        raise ProblemError(
            404,
            "category_not_found",
            Message(f"Không có loại phản ánh mã {code}", f"No report category has the code {code}"),
        )
    return category
