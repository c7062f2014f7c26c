"""The report catalogue, read-only and public: which categories a citizen can report in.

Not `from __future__ import annotations`: the route signatures refer to the session dependency given to
create_router, and FastAPI must see those annotations as objects, not as names to look up in this module.
The application (api/) owns sessions and policies, and this package may not import it, so it hands them in.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.params import Depends as DependsParam
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from feedback import repository
from feedback.models import CATEGORY_CODE_PATTERN
from feedback.schemas import CategoryRead

SessionProvider = Callable[..., AsyncIterator[AsyncSession]]

# The catalogue is public reference data: an empty security requirement says so in the OpenAPI document.
PUBLIC_OPENAPI: dict[str, Any] = {"security": []}
CATEGORY_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No active category has this code (code category_not_found)"},
}

CategoryCodePath = Annotated[
    str,
    Path(
        pattern=CATEGORY_CODE_PATTERN,
        description="The category's code (Open311 service_code).",
        examples=["road_damage"],
    ),
]


def create_router(*, session: SessionProvider, public: DependsParam) -> APIRouter:
    """The catalogue routes, given the application's request session and its PUBLIC policy."""
    router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])

    @router.get(
        "/categories",
        response_model=list[CategoryRead],
        summary="Active report categories, in display order, with their extra questions",
        openapi_extra=PUBLIC_OPENAPI,
        dependencies=[public],
    )
    async def list_categories(
        db: Annotated[AsyncSession, Depends(session)],
    ) -> list[CategoryRead]:
        return await repository.list_active_categories(db)

    @router.get(
        "/categories/{code}",
        response_model=CategoryRead,
        summary="One active report category",
        responses=CATEGORY_NOT_FOUND,
        openapi_extra=PUBLIC_OPENAPI,
        dependencies=[public],
    )
    async def get_category(
        db: Annotated[AsyncSession, Depends(session)], code: CategoryCodePath
    ) -> CategoryRead:
        category = await repository.get_active_category(db, code)
        if category is None:
            raise ProblemError(
                404,
                "category_not_found",
                Message(f"Không có loại phản ánh mã {code}", f"No report category has the code {code}"),
            )
        return category

    return router
