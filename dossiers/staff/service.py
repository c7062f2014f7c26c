"""Officers' reading of their units' dossiers, and their apologies for late ones.

A dossier of another unit is answered as if it did not exist (404 dossier_not_found), on reading and on
apologising alike, so that codes of other units cannot be probed. The on-time state is the SQL mirror of
dossiers.deadlines.classify, judged at the request's moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.cursor import Cursor, Page, keyset_page
from core.errors import Message, ProblemError, invalid_value
from core.identity.principal import Principal
from core.identity.scope import unit_scope
from core.settings import Settings
from dossiers import notify
from dossiers.changes import ChangeKind, DossierChange
from dossiers.deadlines import APOLOGY_STATES, OnTime
from dossiers.figures.clock import clock_at
from dossiers.models import Apology, Dossier
from dossiers.staff import repository
from dossiers.staff.repository import LIST_SORT, DossierFilters
from dossiers.staff.schemas import (
    ApologyCreate,
    ApologyRead,
    DossierItem,
    RatingRead,
    StaffDossierRead,
    StepRead,
)
from dossiers.types import STATUS_NAMES, Status


def dossier_not_found(code: str) -> ProblemError:
    return ProblemError(
        404, "dossier_not_found", Message(f"Không tìm thấy hồ sơ {code}", f"Dossier {code} not found")
    )


def _item_fields(row: Any) -> dict[str, Any]:
    dossier: Dossier = row.Dossier
    status = Status(dossier.status)
    vi, en = STATUS_NAMES[status]
    return {
        "id": dossier.id,
        "code": dossier.code,
        "agency_code": row.agency_code,
        "agency_name_vi": row.agency_name_vi,
        "procedure_code": row.procedure_code,
        "procedure_name_vi": row.procedure_name_vi,
        "procedure_name_en": row.procedure_name_en,
        "unit_code": dossier.unit_code,
        "channel": dossier.channel,
        "status": status,
        "status_name_vi": vi,
        "status_name_en": en,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "original_due_at": dossier.original_due_at,
        "finished_at": dossier.finished_at,
        "forced_late": dossier.forced_late,
        "on_time": OnTime(row.on_time),
        "applicant_name": dossier.applicant_name,
    }


async def list_dossiers(
    session: AsyncSession,
    principal: Principal,
    calendar: WorkingCalendar,
    filters: DossierFilters,
    *,
    cursor: Cursor | None,
    limit: int,
    now: datetime,
) -> Page[DossierItem]:
    scope = await unit_scope(session, principal)
    units = None if scope.all_units else scope.codes
    rows = await repository.list_dossiers(
        session, units, filters, clock_at(calendar, now), cursor=cursor, limit=limit
    )
    return keyset_page(
        rows,
        limit,
        sort=LIST_SORT,
        position=lambda row: (row.Dossier.received_at, row.Dossier.id),
        item=lambda row: DossierItem(**_item_fields(row)),
    )


async def _visible_row(
    session: AsyncSession,
    principal: Principal,
    calendar: WorkingCalendar,
    code: str,
    now: datetime,
    *,
    for_update: bool = False,
) -> Any:
    row = await repository.dossier_by_code(session, code, clock_at(calendar, now), for_update=for_update)
    if row is None or not (await unit_scope(session, principal)).allows(row.Dossier.unit_code):
        raise dossier_not_found(code)
    return row


def _apology_read(row: Any) -> ApologyRead:
    apology: Apology = row.Apology
    return ApologyRead(
        id=apology.id,
        reason_vi=apology.reason_vi,
        reason_en=apology.reason_en,
        new_due_at=apology.new_due_at,
        issued_at=apology.issued_at,
        source="agency" if apology.agency_id is not None else "officer",
        agency_code=row.agency_code,
        author_name=row.author_name,
    )


async def read_dossier(
    session: AsyncSession, principal: Principal, calendar: WorkingCalendar, code: str, *, now: datetime
) -> StaffDossierRead:
    row = await _visible_row(session, principal, calendar, code, now)
    dossier: Dossier = row.Dossier
    rating = await repository.rating_of(session, dossier.id)
    return StaffDossierRead(
        **_item_fields(row),
        agency_name_en=row.agency_name_en,
        deadline_kind=row.deadline_kind,
        deadline_amount=row.deadline_amount,
        applicant_phone=dossier.applicant_phone,
        sms_opt_in=dossier.sms_opt_in,
        status_at=dossier.status_at,
        paused_at=dossier.paused_at,
        remaining_seconds=dossier.remaining_seconds,
        document_requests=dossier.document_requests,
        returned_at=dossier.returned_at,
        next_action=dossier.next_action,
        created_at=dossier.created_at,
        updated_at=dossier.updated_at,
        steps=[
            StepRead.model_validate(step, from_attributes=True)
            for step in await repository.steps_of(session, dossier.id)
        ],
        apologies=[_apology_read(item) for item in await repository.apologies_of(session, dossier.id)],
        rating=None if rating is None else RatingRead.model_validate(rating, from_attributes=True),
    )


def _bad_new_due(message: Message) -> ProblemError:
    return invalid_value(["body", "new_due_at"], message, code="invalid_deadline")


async def apologise(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    calendar: WorkingCalendar,
    code: str,
    body: ApologyCreate,
    *,
    now: datetime,
) -> ApologyRead:
    """Attach an officer's apology to a late dossier: the Apology row, the new due date, forced_late (the
    dossier counts as late for good), and the announcement to the applicant and followers.

    404 dossier_not_found (also for another unit's), 409 not_late when the dossier is neither overdue, nor
    due soon, nor finished late (dossiers.deadlines.APOLOGY_STATES), 422 invalid_deadline when the new date
    is not after now and after the current due date.
    """
    if body.new_due_at <= now:
        raise _bad_new_due(Message("Hạn mới phải ở tương lai", "The new due date must be in the future"))
    row = await _visible_row(session, principal, calendar, code, now, for_update=True)
    dossier: Dossier = row.Dossier
    if OnTime(row.on_time) not in APOLOGY_STATES:
        raise ProblemError(
            409,
            "not_late",
            Message(
                f"Hồ sơ {code} không trễ hạn nên không cần thư xin lỗi",
                f"Dossier {code} is not late, so it takes no apology",
            ),
        )
    if dossier.due_at is not None and body.new_due_at <= dossier.due_at:
        raise _bad_new_due(
            Message(
                "Hạn mới phải sau hạn hiện tại của hồ sơ", "The new due date must be after the current one"
            )
        )
    apology = Apology(
        dossier_id=dossier.id,
        reason_vi=body.reason_vi,
        reason_en=body.reason_en,
        new_due_at=body.new_due_at,
        author_id=principal.user_id,
        issued_at=now,
    )
    session.add(apology)
    if dossier.original_due_at is None:
        dossier.original_due_at = dossier.due_at
    dossier.due_at = body.new_due_at
    dossier.forced_late = True
    dossier.updated_at = now
    await session.flush()
    await notify.announce(session, settings, [_apology_change(dossier, now)])
    return ApologyRead(
        id=apology.id,
        reason_vi=apology.reason_vi,
        reason_en=apology.reason_en,
        new_due_at=apology.new_due_at,
        issued_at=apology.issued_at,
        source="officer",
        agency_code=None,
        author_name=await repository.display_name(session, principal.user_id),
    )


def _apology_change(dossier: Dossier, now: datetime) -> DossierChange:
    return DossierChange(
        kind=ChangeKind.APOLOGY,
        dossier_id=dossier.id,
        code=dossier.code,
        agency_id=dossier.agency_id,
        unit_code=dossier.unit_code,
        status=Status(dossier.status),
        previous_status=None,
        at=now,
        applicant_phone=dossier.applicant_phone,
        sms_opt_in=dossier.sms_opt_in,
        applicant_id_hash=dossier.applicant_id_hash,
        new_due_at=dossier.due_at,
    )
