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

from sqlalchemy import Boolean, DateTime, Float, bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError
from core.units.repository import locate
from feedback import idempotency as keys
from feedback.answers import validate_answers
from feedback.category_cache import CategoryRules, active_category
from feedback.events import emit_report_event
from feedback.idempotency import Idempotency
from feedback.photos import attach_checked, ensure_uploads_free, too_many_photos
from feedback.report_models import MAX_PHOTOS, Report
from feedback.status import ReportSource

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


_REPORT_COLUMNS = Report.metadata.tables["feedback_reports"].columns
# The ward and province of the point (as core.units.repository.locate finds them), the number, the report
# and its first timeline entry in one statement: one round trip. No row comes back when no province contains
# the point, and then nothing is written and no number is drawn. Written once as text, so that no statement
# is rebuilt per submission; the final SELECT names the columns in the model's order, typed by them.
_INSERT_REPORT = (
    text(
        """
WITH ward AS (
    SELECT u.code, u.parent_code
    FROM admin_units AS u
    WHERE u.level = 'ward' AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY u.code
    LIMIT 1
),
place AS (
    SELECT (SELECT code FROM ward) AS ward_code,
           coalesce((SELECT parent_code FROM ward), (
               SELECT u.code FROM admin_units AS u
               WHERE u.level = 'province'
                 AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
               ORDER BY u.code
               LIMIT 1
           )) AS province_code
),
drawn AS (SELECT nextval('feedback_report_number_seq') AS n FROM place WHERE province_code IS NOT NULL),
report AS (
    INSERT INTO feedback_reports (
        id, code, category_code, description, answers, location, address, province_code, ward_code,
        unit_code, department_code, reporter_id, reporter_contact, api_key_id, source, anonymous, is_public,
        urgent, status, created_at, updated_at, acknowledge_due_at, resolve_due_at, open311_token
    )
    SELECT CAST(:id AS uuid), :code_prefix || lpad(n::text, greatest(6, length(n::text)), '0'),
        :category_code, :description, :answers, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :address,
        place.province_code, place.ward_code, coalesce(place.ward_code, place.province_code),
        :department_code, CAST(:reporter_id AS uuid), :reporter_contact, CAST(:api_key_id AS uuid), :source,
        :anonymous, :is_public, :urgent, 'submitted', :created_at, :created_at, :acknowledge_due_at,
        :resolve_due_at, :open311_token
    FROM drawn, place
    RETURNING *
),
entry AS (
    INSERT INTO feedback_timeline (report_id, at, kind, to_status, actor_id, actor_role, data)
    SELECT id, created_at, 'submitted', 'submitted', reporter_id, :actor_role, '{}'::jsonb FROM report
)
SELECT {columns} FROM report
""".replace("{columns}", ", ".join(column.name for column in _REPORT_COLUMNS))
    )
    .bindparams(
        bindparam("answers", type_=JSONB),
        bindparam("reporter_contact", type_=JSONB),
        bindparam("lat", type_=Float),
        bindparam("lon", type_=Float),
        bindparam("created_at", type_=DateTime(timezone=True)),
        bindparam("acknowledge_due_at", type_=DateTime(timezone=True)),
        bindparam("resolve_due_at", type_=DateTime(timezone=True)),
        bindparam("anonymous", type_=Boolean),
        bindparam("is_public", type_=Boolean),
        bindparam("urgent", type_=Boolean),
    )
    .columns(*_REPORT_COLUMNS)
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
    return (await session.execute(select(Report).where(col(Report.id) == report_id))).scalar_one()


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
    row = (
        await session.execute(
            _INSERT_REPORT,
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
    ).one_or_none()
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
    return report, True
