"""Building the API's answer about one report, for the audience the caller belongs to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.principal import Role
from core.media.signing import MediaUrls
from feedback.reports import repository
from feedback.reports.access import Audience
from feedback.reports.events import report_location
from feedback.reports.models import Report, ReportFollower, ReportPhoto, ReportSupport, TimelineEntry
from feedback.reports.schemas import (
    PhotoRead,
    PublicReportRead,
    ReporterRead,
    ReportRead,
    StaffReportRead,
    TimelineEntryRead,
)
from feedback.reports.status import PUBLIC_NOTE_KINDS, ReportStatus, TimelineKind


def photo_url(key: str, media: MediaUrls, *, public: bool) -> str:
    """A photo's signed URL: for ever when its report is public, for a window otherwise (private reports,
    uploads not yet attached)."""
    return media.url(key, public=public)


def photo_read(photo: ReportPhoto, media: MediaUrls, *, public: bool) -> PhotoRead:
    return PhotoRead(
        id=photo.id,
        url=photo_url(photo.media_key, media, public=public),
        thumbnail_url=photo_url(photo.thumbnail_key, media, public=public),
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
    )


# The facts of a timeline entry its reporter may see: deadlines, counts, units and the report it was merged
# into (public as merged_into_code). Everything else stays with staff: who was assigned, and on a merge the
# code of the other, possibly private, report.
REPORTER_DATA_KEYS = frozenset(
    {
        "due_at",
        "old_due_at",
        "new_due_at",
        "reopen_count",
        "rating",
        "close_reason",
        "proof_photo_ids",
        "into_report_id",
        "into_code",
        "from_unit_code",
        "to_unit_code",
        "from_department_code",
        "to_department_code",
    }
)


def _entry_read(entry: TimelineEntry, *, staff: bool) -> TimelineEntryRead:
    """The entry for staff as it is; for the reporter with the public notes only (as Open311 shows them)
    and their own words (reopening, rating), and without staff-internal facts."""
    note, data = entry.note, entry.data
    if not staff:
        if entry.kind not in PUBLIC_NOTE_KINDS and entry.actor_role != Role.CITIZEN.value:
            note = None
        data = {key: value for key, value in data.items() if key in REPORTER_DATA_KEYS}
    return TimelineEntryRead(
        at=entry.at,
        kind=entry.kind,
        from_status=entry.from_status,
        to_status=entry.to_status,
        actor_role=entry.actor_role,
        note=note,
        data=data,
    )


async def _timeline(session: AsyncSession, report_id: uuid.UUID, *, staff: bool) -> list[TimelineEntryRead]:
    return [_entry_read(entry, staff=staff) for entry in await repository.timeline_of(session, report_id)]


async def _merged_into_code(session: AsyncSession, report: Report) -> str | None:
    if report.merged_into_id is None:
        return None
    return await repository.report_code(session, report.merged_into_id)


async def _has_row(
    session: AsyncSession, model: Any, report_id: uuid.UUID, user_id: uuid.UUID | None
) -> bool:
    if user_id is None:
        return False
    return await repository.has_person(session, model, report_id, user_id)


def _public_fields(
    report: Report, photos: Sequence[ReportPhoto], merged_into_code: str | None, media: MediaUrls
) -> dict[str, Any]:
    public = bool(report.is_public)
    return {
        "id": report.id,
        "code": report.code,
        "category_code": report.category_code,
        "description": report.description,
        "location": report_location(report),
        "address": report.address,
        "ward_code": report.ward_code,
        "status": report.status,
        "status_notes": report.status_notes,
        "urgent": report.urgent,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "resolve_due_at": report.resolve_due_at,
        "resolved_at": report.resolved_at,
        "resolution": report.resolution,
        "support_count": report.support_count,
        "follower_count": report.follower_count,
        "merged_into_code": merged_into_code,
        "photos": [photo_read(p, media, public=public) for p in photos if p.kind == "report"],
        "proof_photos": [photo_read(p, media, public=public) for p in photos if p.kind == "proof"],
    }


def _reporter_fields(
    report: Report, *, supported: bool, following: bool, timeline: list[TimelineEntryRead]
) -> dict[str, Any]:
    return {
        "answers": report.answers,
        "anonymous": report.anonymous,
        "is_public": report.is_public,
        "province_code": report.province_code,
        "unit_code": report.unit_code,
        "department_code": report.department_code,
        "sla_state": report.sla_state,
        "acknowledge_due_at": report.acknowledge_due_at,
        "acknowledged_at": report.acknowledged_at,
        "deadline_extended_at": report.deadline_extended_at,
        "closed_at": report.closed_at,
        "close_reason": report.close_reason,
        "rating": report.rating,
        "rating_comment": report.rating_comment,
        "rated_at": report.rated_at,
        "reopen_count": report.reopen_count,
        "supported": supported,
        "following": following,
        "timeline": timeline,
    }


def new_report_read(
    report: Report,
    photos: Sequence[ReportPhoto],
    *,
    actor_role: str,
    media: MediaUrls,
) -> ReportRead:
    """The reporter's view of a report filed in this transaction, built from what the submission holds.

    Nothing is read back: a new report has one timeline entry, no supporter, no follower and no merge, and
    submissions are the busiest write of the product.
    """
    submitted = TimelineEntryRead(
        at=report.created_at,
        kind=TimelineKind.SUBMITTED,
        from_status=None,
        to_status=ReportStatus.SUBMITTED,
        actor_role=actor_role,
        note=None,
        data={},
    )
    return ReportRead(
        **_public_fields(report, photos, None, media),
        **_reporter_fields(report, supported=False, following=False, timeline=[submitted]),
    )


async def build_report_read(
    session: AsyncSession,
    report: Report,
    audience: Audience,
    *,
    viewer_id: uuid.UUID | None = None,
    media: MediaUrls,
) -> PublicReportRead | ReportRead | StaffReportRead:
    """The report in the shape `audience` may see. `viewer_id` fills "supported" and "following"."""
    photos = await repository.photos_of(session, report.id)
    public = _public_fields(report, photos, await _merged_into_code(session, report), media)
    if audience is Audience.PUBLIC:
        return PublicReportRead(**public)
    full = public | _reporter_fields(
        report,
        supported=await _has_row(session, ReportSupport, report.id, viewer_id),
        following=await _has_row(session, ReportFollower, report.id, viewer_id),
        timeline=await _timeline(session, report.id, staff=audience is Audience.STAFF),
    )
    if audience is Audience.REPORTER:
        return ReportRead(**full)
    reporter = await session.get(User, report.reporter_id) if report.reporter_id is not None else None
    return StaffReportRead(
        **full,
        reporter=ReporterRead(
            user_id=report.reporter_id,
            display_name=reporter.display_name if reporter is not None else None,
            phone=reporter.phone if reporter is not None else None,
            contact=report.reporter_contact,
        ),
        assignee_id=report.assignee_id,
        source=report.source,
        open311_token=report.open311_token,
    )
