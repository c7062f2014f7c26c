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
from dossiers.sync.lifecycle import Deadlines, LifeState, on_time_at
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


def dossier_not_found(code: str) -> ProblemError:
    return ProblemError(
        404, "dossier_not_found", Message(f"Không có hồ sơ mã {code}", f"No dossier has the code {code}")
    )


def _life(dossier: Dossier) -> LifeState:
    return LifeState(
        status=Status(dossier.status),
        status_at=dossier.status_at,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        original_due_at=dossier.original_due_at,
        paused_at=dossier.paused_at,
        remaining_seconds=dossier.remaining_seconds,
        document_requests=dossier.document_requests,
        forced_late=dossier.forced_late,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
    )


async def agency_dossier(
    session: AsyncSession, agency: Agency, code: str, deadlines: Deadlines, *, now: datetime
) -> AgencyDossierRead:
    """One of the agency's dossiers; 404 dossier_not_found for an unknown code and for another agency's."""
    found = await repository.agency_dossier(session, agency.id, code)
    if found is None:
        raise dossier_not_found(code)
    dossier, procedure_code, steps, apologies = found
    return AgencyDossierRead(
        code=dossier.code,
        procedure_code=procedure_code,
        unit_code=dossier.unit_code,
        channel=dossier.channel,
        status=dossier.status,
        status_at=dossier.status_at,
        applicant_name=dossier.applicant_name,
        applicant_phone=dossier.applicant_phone,
        has_id_number=dossier.applicant_id_hash is not None,
        sms_opt_in=dossier.sms_opt_in,
        fee_vnd=dossier.fee_vnd,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        original_due_at=dossier.original_due_at,
        paused_at=dossier.paused_at,
        remaining_seconds=dossier.remaining_seconds,
        document_requests=dossier.document_requests,
        forced_late=dossier.forced_late,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        on_time=on_time_at(_life(dossier), deadlines, now),
        next_action=dossier.next_action,
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
