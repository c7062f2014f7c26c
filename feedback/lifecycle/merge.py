"""Merging a duplicate report into the one that will be handled.

The source is closed as merged and points at the target; its followers and supporters move to the target
(each person once), and its reporter follows the target, so everyone who cared about the problem keeps
hearing about it. Both timelines record the merge. A private target takes only a private report of its own
reporter: anyone else moved onto it could neither see nor unfollow it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.principal import Principal
from feedback.lifecycle import repository
from feedback.lifecycle.changes import Actor, record_change
from feedback.reports.access import ensure_staff_can_act, get_report
from feedback.reports.models import Report, ReportFollower, ReportSupport
from feedback.reports.notify import audience, notify_people
from feedback.reports.status import OPEN_STATUSES, CloseReason, ReportStatus, TimelineKind


def invalid_merge(status: int, message: Message) -> ProblemError:
    return ProblemError(status, "invalid_merge", message)


async def merge(
    session: AsyncSession,
    principal: Principal,
    source_id: uuid.UUID,
    *,
    into_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> Report:
    """Merge report `source_id` into `into_id`; returns the source, now closed."""
    if source_id == into_id:
        raise invalid_merge(
            422, Message("Không thể gộp phản ánh vào chính nó", "A report cannot be merged into itself")
        )
    # Both rows locked, always in the same order, so two opposite merges cannot deadlock.
    first, second = sorted((source_id, into_id))
    locked = {
        first: await get_report(session, first, for_update=True),
        second: await get_report(session, second, for_update=True),
    }
    source, target = locked[source_id], locked[into_id]
    for report in (source, target):
        await ensure_staff_can_act(session, principal, report)
    for report in (source, target):
        if report.status not in OPEN_STATUSES:
            raise invalid_merge(
                409,
                Message(
                    f"Phản ánh {report.code} không còn mở ({report.status})",
                    f"Report {report.code} is no longer open ({report.status})",
                ),
            )
    same_private_reporter = (
        not source.is_public and source.reporter_id is not None and source.reporter_id == target.reporter_id
    )
    if not target.is_public and not same_private_reporter:
        # The source's people would follow a report they cannot see (and could never unfollow).
        raise invalid_merge(
            422,
            Message(
                f"Không thể gộp vào phản ánh riêng tư {target.code} của người khác",
                f"Report {target.code} is private: only a private report of the same reporter may "
                "merge into it",
            ),
        )
    # Told before the followers move: they followed the source and learn where it went.
    recipients = await audience(session, source)

    # A reporter never supports their own report: the target's reporter's "me too" on the source is dropped.
    await repository.move_people(session, ReportSupport, source.id, target.id, except_user=target.reporter_id)
    await repository.move_people(session, ReportFollower, source.id, target.id)
    if source.reporter_id is not None and source.reporter_id != target.reporter_id:
        await repository.add_follower(session, target.id, source.reporter_id, created_at=now)
    for report in (source, target):
        report.support_count = await repository.count_people(session, ReportSupport, report.id)
        report.follower_count = await repository.count_people(session, ReportFollower, report.id)

    actor = Actor.of(principal)
    source.merged_into_id = target.id
    source.closed_at = now
    source.close_reason = CloseReason.MERGED
    facts = {"into_report_id": str(target.id), "into_code": target.code}
    await record_change(
        session,
        source,
        actor=actor,
        kind=TimelineKind.MERGED,
        now=now,
        to_status=ReportStatus.CLOSED,
        note=reason,
        data=facts,
        events=[("feedback.merged", facts)],
        notify=False,
    )
    await record_change(
        session,
        target,
        actor=actor,
        kind=TimelineKind.MERGED_FROM,
        now=now,
        note=reason,
        data={"from_report_id": str(source.id), "from_code": source.code},
        notify=False,
    )
    await notify_people(
        session,
        source,
        actor_id=actor.id,
        recipients=recipients,
        body=Message(
            f"Phản ánh {source.code} đã được gộp vào phản ánh {target.code}",
            f"Report {source.code} has been merged into report {target.code}",
        ),
    )
    return source
