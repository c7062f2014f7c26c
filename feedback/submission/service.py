"""Filing a citizen report: validate, route to the responsible unit and department, number it, set its
deadlines, record the first timeline entry and the feedback.created event, all in the caller's transaction.

Used by the app's submit route and by the Open311 facade. Few statements per submission on purpose: the
category comes from a per-process cache, the number is drawn inside the INSERT, and the row comes back from
the same statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError
from core.units.repository import locate
from feedback.catalogue.answers import validate_answers
from feedback.catalogue.cache import CategoryRules, active_category
from feedback.reports.events import emit_report_event
from feedback.reports.models import MAX_PHOTOS, Report
from feedback.reports.status import ReportSource
from feedback.submission import idempotency as keys
from feedback.submission import repository
from feedback.submission.hooks import run_report_hooks
from feedback.submission.idempotency import Idempotency
from feedback.submission.photos import attach_checked, ensure_uploads_free, too_many_photos

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
URGENT_ACKNOWLEDGE_WORKING_HOURS = 4


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a submission says, whoever sends it (the app or an Open311 client).

    `reporter_id` is the citizen (None for an Open311 client without an account); `photo_ids` are uploads of
    that reporter (of nobody's when reporter_id is None), attached in order. `actor_role` is recorded in the
    timeline: "citizen" for the app, "integration" for Open311.
    """

    category_code: str
    description: str
    lat: float
    lon: float
    reporter_id: uuid.UUID | None
    address: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    anonymous: bool = False
    is_public: bool = True
    urgent: bool = False
    photo_ids: Sequence[uuid.UUID] = ()
    source: ReportSource = ReportSource.APP
    actor_role: str = "citizen"
    api_key_id: uuid.UUID | None = None
    reporter_contact: dict[str, Any] | None = None
    open311_token: str | None = None


def outside_province(lat: float, lon: float) -> ProblemError:
    return ProblemError(
        422,
        "outside_province",
        Message(
            "Vị trí phản ánh nằm ngoài địa bàn tỉnh", "The location of the report is outside the province"
        ),
        extensions={"location": {"lat": lat, "lon": lon}},
    )


async def _validated(
    session: AsyncSession, new: NewReport, *, extra_photos: int = 0
) -> tuple[CategoryRules, dict[str, Any]]:
    category = await active_category(session, new.category_code)
    answers = validate_answers(category.questions, new.answers)
    if len(new.photo_ids) + extra_photos > MAX_PHOTOS:
        raise too_many_photos()
    await ensure_uploads_free(session, new.photo_ids, uploader_id=new.reporter_id)
    return category, answers


async def check_submission(session: AsyncSession, new: NewReport, *, extra_photos: int = 0) -> None:
    """Every check of submit_report, writing nothing: lets a caller refuse a submission before storing the
    photos sent with it (`extra_photos` of them, on top of `new.photo_ids`)."""
    await _validated(session, new, extra_photos=extra_photos)
    if await locate(session, new.lon, new.lat) is None:
        raise outside_province(new.lat, new.lon)


async def replay(session: AsyncSession, idempotency: Idempotency) -> Report | None:
    """The report an earlier identical request made with this key (the key stays locked until the end of
    the transaction), or None; 422 idempotency_key_reused for a different request."""
    report_id = await keys.claim(session, idempotency)
    if report_id is None:
        return None
    return await repository.load_report(session, report_id)


async def submit_report(
    session: AsyncSession,
    calendar: WorkingCalendar,
    new: NewReport,
    *,
    now: datetime | None = None,
    idempotency: Idempotency | None = None,
    claimed: bool = False,
) -> tuple[Report, bool]:
    """File `new`; returns the report and whether it was created (False: replayed by its Idempotency-Key).
    `claimed`: the caller already ran replay() with this key in this transaction and got None.

    422 problems, nothing written: category_not_found, invalid_answers, outside_province, too_many_photos,
    photo_not_found, idempotency_key_reused.
    """
    if idempotency is not None and not claimed:
        earlier = await replay(session, idempotency)
        if earlier is not None:
            return earlier, False
    moment = now or datetime.now(UTC)
    category, answers = await _validated(session, new)
    acknowledge_hours = (
        URGENT_ACKNOWLEDGE_WORKING_HOURS if new.urgent else category.sla_acknowledge_working_hours
    )
    report_id = uuid.uuid4()
    row = await repository.insert_report(
        session,
        {
            "id": report_id,
            "code_prefix": f"PA-{moment.astimezone(VIETNAM).year}-",
            "category_code": category.code,
            "description": new.description,
            "answers": answers,
            "lat": new.lat,
            "lon": new.lon,
            "address": new.address,
            "department_code": category.default_department_code,
            "reporter_id": new.reporter_id,
            "reporter_contact": new.reporter_contact,
            "api_key_id": new.api_key_id,
            "source": str(new.source),
            "anonymous": new.anonymous,
            "is_public": new.is_public,
            "urgent": new.urgent,
            "created_at": moment,
            "acknowledge_due_at": calendar.add_working_hours(moment, acknowledge_hours),
            "resolve_due_at": calendar.add_working_days(moment, category.sla_resolve_working_days),
            "open311_token": new.open311_token,
            "actor_role": new.actor_role,
        },
    )
    if row is None:
        raise outside_province(new.lat, new.lon)
    # A plain object rather than an ORM load: nothing in this transaction changes the new row through the
    # session, and loading it into the identity map cost more than the insert itself.
    report = Report(**row._asdict())
    if new.photo_ids:
        await attach_checked(session, report_id, new.photo_ids)
    if idempotency is not None:
        await keys.remember(session, idempotency, report_id)
    await emit_report_event(session, "feedback.created", report)
    await run_report_hooks(session, report)
    return report, True
