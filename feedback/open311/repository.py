"""All SQL of the Open311 facade: public reports as service requests, tokens, and public status changes."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import Language
from feedback.catalogue.models import Department, FeedbackCategory
from feedback.reports.models import REPORT_CODE_PATTERN, Report, ReportPhoto, TimelineEntry
from feedback.reports.status import OPEN_STATUSES, TimelineKind


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """GET requests, parsed: either ids (the rest ignored, as the spec says) or filters."""

    by_ids: bool
    ids: list[str]
    # None: any service; values no category can have are left out, so a list may be empty (no match).
    service_codes: list[str] | None
    start: datetime
    end: datetime
    statuses: set[str]
    page: int
    page_size: int


def _first_photo_key(kind: str) -> Any:
    return (
        select(col(ReportPhoto.media_key))
        .where(col(ReportPhoto.report_id) == col(Report.id), col(ReportPhoto.kind) == kind)
        .order_by(col(ReportPhoto.position), col(ReportPhoto.created_at))
        .limit(1)
        .correlate(Report)
        .scalar_subquery()
    )


def _request_select(language: Language) -> Select[Any]:
    return (
        select(
            Report,
            func.ST_Y(col(Report.location)).label("lat"),
            func.ST_X(col(Report.location)).label("lon"),
            col(FeedbackCategory.name_vi if language == "vi" else FeedbackCategory.name_en).label("service"),
            col(Department.name_vi if language == "vi" else Department.name_en).label("agency"),
            _first_photo_key("report").label("photo_key"),
        )
        .join(FeedbackCategory, col(FeedbackCategory.code) == col(Report.category_code))
        .join(Department, col(Department.code) == col(Report.department_code))
        .where(col(Report.is_public))
    )


def _status_condition(statuses: set[str]) -> ColumnElement[bool] | None:
    if not statuses or statuses == {"open", "closed"}:
        return None
    opened = col(Report.status).in_(sorted(OPEN_STATUSES))
    return opened if statuses == {"open"} else ~opened


@dataclass(frozen=True, slots=True)
class RequestRow:
    report: Report
    lat: float
    lon: float
    service_name: str
    agency: str
    photo_key: str | None


def _rows(result: Any) -> list[RequestRow]:
    return [RequestRow(row[0], row.lat, row.lon, row.service, row.agency, row.photo_key) for row in result]


async def list_requests(session: AsyncSession, query: RequestQuery, language: Language) -> list[RequestRow]:
    """Public reports matching the query, newest first, one page."""
    statement = _request_select(language)
    if query.by_ids:
        statement = statement.where(col(Report.code).in_(query.ids))
    else:
        # Merged reports are left out of lists, as in the public feed (and its index): they are closed
        # duplicates, still readable by their id.
        statement = statement.where(
            col(Report.merged_into_id).is_(None),
            col(Report.created_at) >= query.start,
            col(Report.created_at) <= query.end,
        )
        if query.service_codes is not None:
            statement = statement.where(col(Report.category_code).in_(query.service_codes))
        if (condition := _status_condition(query.statuses)) is not None:
            statement = statement.where(condition)
    statement = (
        statement.order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    return _rows(await session.execute(statement))


async def get_request(session: AsyncSession, code: str, language: Language) -> RequestRow | None:
    if not re.fullmatch(REPORT_CODE_PATTERN, code):
        return None
    rows = _rows(await session.execute(_request_select(language).where(col(Report.code) == code)))
    return rows[0] if rows else None


async def code_for_token(session: AsyncSession, token: str) -> str | None:
    """The report a token was handed out for; a token names only the report its client posted."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", token):
        return None
    code = await session.scalar(select(col(Report.code)).where(col(Report.open311_token) == token))
    return str(code) if code is not None else None


@dataclass(frozen=True, slots=True)
class UpdateRow:
    entry: TimelineEntry
    code: str
    proof_key: str | None


async def list_updates(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    kinds: Collection[TimelineKind],
    page: int,
    page_size: int,
) -> list[UpdateRow]:
    """Public status changes (timeline entries of `kinds`) of public reports in [start, end], oldest first
    (the order they happened)."""
    statement = (
        select(TimelineEntry, col(Report.code), _first_photo_key("proof").label("proof_key"))
        .join(Report, col(Report.id) == col(TimelineEntry.report_id))
        .where(
            col(Report.is_public),
            col(TimelineEntry.kind).in_([kind.value for kind in kinds]),
            # A rating is an update only when it closed the report.
            or_(
                col(TimelineEntry.kind) != TimelineKind.RATED.value, col(TimelineEntry.to_status).is_not(None)
            ),
            and_(col(TimelineEntry.at) >= start, col(TimelineEntry.at) <= end),
        )
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [UpdateRow(row[0], row[1], row.proof_key) for row in await session.execute(statement)]
