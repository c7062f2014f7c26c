"""All SQL of the lifecycle: moving supporters and followers in a merge, and the SLA task's batches."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from feedback.reports.models import Report, ReportFollower, ReportSupport
from feedback.reports.status import OPEN_STATUSES, ReportStatus

People = type[ReportSupport] | type[ReportFollower]

# -- merging ------------------------------------------------------------------------------------------------


async def move_people(
    session: AsyncSession,
    model: People,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    *,
    except_user: uuid.UUID | None = None,
) -> None:
    """Move `model` rows from source to target; a person already on the target stays there once, and
    `except_user` is left out (the rows of the source go in any case)."""
    table = model.__table__  # type: ignore[union-attr]
    rows = select(literal(target_id, table.c.report_id.type), table.c.user_id, table.c.created_at).where(
        table.c.report_id == source_id
    )
    if except_user is not None:
        rows = rows.where(table.c.user_id != except_user)
    await session.execute(
        insert(table).from_select(["report_id", "user_id", "created_at"], rows).on_conflict_do_nothing()
    )
    await session.execute(delete(table).where(table.c.report_id == source_id))


async def count_people(session: AsyncSession, model: People, report_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(model).where(col(model.report_id) == report_id))
        or 0
    )


async def add_follower(
    session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID, *, created_at: datetime
) -> None:
    """Make `user_id` follow the report, unless they already do."""
    await session.execute(
        insert(ReportFollower.__table__)  # type: ignore[attr-defined]
        .values(report_id=report_id, user_id=user_id, created_at=created_at)
        .on_conflict_do_nothing()
    )


# -- the SLA task -------------------------------------------------------------------------------------------


async def open_candidates(
    session: AsyncSession, now: datetime, after: uuid.UUID | None, *, lookahead: timedelta, limit: int
) -> list[Report]:
    """The next batch of open reports whose current deadline may be near, locked (SKIP LOCKED).

    Two index-backed id sets: open reports by resolve deadline (ix_feedback_reports_open_due) and submitted
    ones by acknowledge deadline (ix_feedback_reports_unacknowledged_due). A report whose deadline moves
    away (extension, reopening, acknowledgement) is put back on track by that change itself.
    """
    bound = now + lookahead
    by_resolve = select(col(Report.id)).where(
        col(Report.status).in_([str(s) for s in OPEN_STATUSES]), col(Report.resolve_due_at) < bound
    )
    by_acknowledge = select(col(Report.id)).where(
        col(Report.status) == str(ReportStatus.SUBMITTED), col(Report.acknowledge_due_at) < bound
    )
    statement = (
        select(Report)
        .where(col(Report.id).in_(union(by_resolve, by_acknowledge).scalar_subquery()))
        .order_by(col(Report.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        statement = statement.where(col(Report.id) > after)
    return list((await session.execute(statement)).scalars())


async def resolved_unrated(session: AsyncSession, cutoff: datetime, *, limit: int) -> list[Report]:
    """A batch of resolved reports nobody rated, resolved before `cutoff`, oldest first, locked."""
    rows = await session.execute(
        select(Report)
        .where(
            col(Report.status) == str(ReportStatus.RESOLVED),
            col(Report.rating).is_(None),
            col(Report.resolved_at) < cutoff,
        )
        .order_by(col(Report.resolved_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())
