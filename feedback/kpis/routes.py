"""The report KPIs of the caller's units, for staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from core.http.deps import SessionDep
from core.http.policies import Staff
from core.http.responses import UNAUTHENTICATED, problem, responses
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.kpis import service
from feedback.kpis.schemas import KpiRead
from feedback.lifecycle.schemas import UNIT_CODE_PATTERN
from feedback.reports.input_types import UtcMoment

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


@router.get(
    "/kpis",
    response_model=KpiRead,
    summary="Report KPIs of the caller's units (staff)",
    responses=responses(
        UNAUTHENTICATED,
        problem(
            403,
            "Not staff (code forbidden), or the unit asked for is not "
            "one of the caller's (code outside_unit)",
        ),
    ),
)
async def get_kpis(
    db: SessionDep,
    principal: Staff,
    unit_code: Annotated[str | None, Query(pattern=UNIT_CODE_PATTERN)] = None,
    category_code: Annotated[str | None, Query(pattern=CATEGORY_CODE_PATTERN)] = None,
    date_from: Annotated[UtcMoment | None, Query(alias="from")] = None,
    date_to: Annotated[UtcMoment | None, Query(alias="to")] = None,
) -> KpiRead:
    return await service.compute_kpis(
        db,
        principal,
        now=datetime.now(UTC),
        unit_code=unit_code,
        category_code=category_code,
        date_from=date_from,
        date_to=date_to,
    )
