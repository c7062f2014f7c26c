"""The agency's read side: its dossiers as we hold them, and its applicants' ratings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Cursor
from core.errors import Message, ProblemError
from dossiers.deadlines import OnTime
from dossiers.models import Agency, Dossier
from dossiers.sync import repository
from dossiers.sync.lifecycle import LIFE_FIELDS, Deadlines, LifeState, on_time_at
from dossiers.sync.schemas import RatingPage, RatingRead
from dossiers.types import Status


class StepRead(BaseModel):
    status: int
    previous_status: int | None
    at: datetime
    unit_name: str
    officer_name: str | None
    comment: str | None
    public: bool


class ApologyRead(BaseModel):
    reason_vi: str
    reason_en: str | None
    new_due_at: datetime
    issued_at: datetime
    by_agency: bool = Field(description="Sent through sync (true) or written by an officer here (false).")


class AgencyDossierRead(BaseModel):
    code: str
    procedure_code: str
    unit_code: str
    channel: str
    status: int
    status_at: datetime
    applicant_name: str
    applicant_phone: str | None
    has_id_number: bool = Field(description="Whether an ID number was sent; we keep only its keyed hash.")
    sms_opt_in: bool
    fee_vnd: int | None
    received_at: datetime
    due_at: datetime | None
    original_due_at: datetime | None
    paused_at: datetime | None
    remaining_seconds: int | None
    document_requests: int
    forced_late: bool
    finished_at: datetime | None
    returned_at: datetime | None
    on_time: OnTime | None = Field(description="Null while the dossier has no running deadline.")
    next_action: dict[str, Any] | None
    steps: list[StepRead]
    apologies: list[ApologyRead]


# Columns shown as they are stored.
_COPIED = (
    "code",
    "unit_code",
    "channel",
    "status",
    "applicant_name",
    "applicant_phone",
    "sms_opt_in",
    "fee_vnd",
    "next_action",
)


def dossier_not_found(code: str) -> ProblemError:
    return ProblemError(
        404, "dossier_not_found", Message(f"Không có hồ sơ mã {code}", f"No dossier has the code {code}")
    )


def _life(dossier: Dossier) -> LifeState:
    return LifeState(status=Status(dossier.status), **{name: getattr(dossier, name) for name in LIFE_FIELDS})


async def agency_dossier(
    session: AsyncSession, agency: Agency, code: str, deadlines: Deadlines, *, now: datetime
) -> AgencyDossierRead:
    """One of the agency's dossiers; 404 dossier_not_found for an unknown code and for another agency's."""
    found = await repository.agency_dossier(session, agency.id, code)
    if found is None:
        raise dossier_not_found(code)
    dossier, procedure_code, steps, apologies = found
    return AgencyDossierRead(
        **{name: getattr(dossier, name) for name in (*_COPIED, *LIFE_FIELDS)},
        procedure_code=procedure_code,
        has_id_number=dossier.applicant_id_hash is not None,
        on_time=on_time_at(_life(dossier), deadlines, now),
        steps=[StepRead.model_validate(step, from_attributes=True) for step in steps],
        apologies=[
            ApologyRead(
                reason_vi=apology.reason_vi,
                reason_en=apology.reason_en,
                new_due_at=apology.new_due_at,
                issued_at=apology.issued_at,
                by_agency=apology.agency_id is not None,
            )
            for apology in apologies
        ],
    )


async def agency_ratings(
    session: AsyncSession, agency_id: uuid.UUID, *, since: datetime | None, cursor: Cursor | None, limit: int
) -> RatingPage:
    page = await repository.agency_ratings(session, agency_id, since=since, cursor=cursor, limit=limit)
    return RatingPage(
        items=[
            RatingRead(code=row.code, rating=row.rating, comment=row.comment, created_at=row.created_at)
            for row in page.items
        ],
        next_cursor=page.next_cursor,
    )
