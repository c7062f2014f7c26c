"""All SQL about one report that the other parts of the domain share: loading it (locked when it is going
to change), its photos, timeline, followers, and who supports or follows it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.reports.models import Report, ReportFollower, ReportPhoto, TimelineEntry


async def report_by_id(
    session: AsyncSession, report_id: uuid.UUID, *, for_update: bool = False
) -> Report | None:
    """The report, locked for the caller's transaction when `for_update`."""
    statement = select(Report).where(col(Report.id) == report_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def report_by_code(session: AsyncSession, code: str) -> Report | None:
    return (await session.execute(select(Report).where(col(Report.code) == code))).scalar_one_or_none()


async def report_code(session: AsyncSession, report_id: uuid.UUID) -> str | None:
    code = await session.scalar(select(col(Report.code)).where(col(Report.id) == report_id))
    return str(code) if code is not None else None


async def photos_of(session: AsyncSession, report_id: uuid.UUID) -> list[ReportPhoto]:
    """The report's photos, the citizen's first, each kind in order."""
    rows = await session.execute(
        select(ReportPhoto)
        .where(col(ReportPhoto.report_id) == report_id)
        .order_by(col(ReportPhoto.kind), col(ReportPhoto.position))
    )
    return list(rows.scalars())


async def timeline_of(session: AsyncSession, report_id: uuid.UUID) -> list[TimelineEntry]:
    rows = await session.execute(
        select(TimelineEntry).where(col(TimelineEntry.report_id) == report_id).order_by(col(TimelineEntry.id))
    )
    return list(rows.scalars())


async def has_person(session: AsyncSession, model: Any, report_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether `user_id` has a row of `model` (ReportSupport or ReportFollower) on the report."""
    found = await session.scalar(
        select(exists().where(model.report_id == report_id, model.user_id == user_id))
    )
    return bool(found)


async def follower_ids(session: AsyncSession, report_id: uuid.UUID) -> list[uuid.UUID]:
    """The report's followers, in the order they started following."""
    rows = await session.execute(
        select(col(ReportFollower.user_id))
        .where(col(ReportFollower.report_id) == report_id)
        .order_by(col(ReportFollower.created_at), col(ReportFollower.user_id))
    )
    return list(rows.scalars())


async def photo_count(session: AsyncSession, report_id: uuid.UUID, kind: str) -> int:
    """How many photos of `kind` ("report" or "proof") the report has."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ReportPhoto)
            .where(col(ReportPhoto.report_id) == report_id, col(ReportPhoto.kind) == kind)
        )
        or 0
    )


async def delete_private_photos_of(session: AsyncSession, reporter_id: uuid.UUID) -> list[str]:
    """Delete the photo rows of the reporter's private reports (theirs and staff proofs) and their uploads
    not attached to any report; answers the file keys no remaining row uses."""
    private_reports = select(col(Report.id)).where(
        col(Report.reporter_id) == reporter_id, col(Report.is_public).is_(False)
    )
    deleted = await session.execute(
        delete(ReportPhoto)
        .where(
            or_(
                col(ReportPhoto.report_id).in_(private_reports),
                and_(col(ReportPhoto.report_id).is_(None), col(ReportPhoto.uploader_id) == reporter_id),
            )
        )
        .returning(col(ReportPhoto.media_key), col(ReportPhoto.thumbnail_key))
    )
    keys = {key for row in deleted for key in row}
    if not keys:
        return []
    # Content-addressed: the same picture on another report is the same file, which must stay.
    still_used = await session.execute(
        select(col(ReportPhoto.media_key), col(ReportPhoto.thumbnail_key)).where(
            or_(col(ReportPhoto.media_key).in_(keys), col(ReportPhoto.thumbnail_key).in_(keys))
        )
    )
    return sorted(keys - {key for row in still_used for key in row})
