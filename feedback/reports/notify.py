"""Push notifications about a report's changes, to the citizens who care about it.

The reporter and every follower hear about each change, in Vietnamese and English, except the person who
made it: nobody needs a notification of their own action. Overdue reports are told to the officers whose
units cover the report and to its assignee, each on their own phones: never on the unit's FCM topics, which
any app may subscribe to (citizens do, for their ward's announcements), and which would carry a private
report's code to them. Everything is queued in the caller's transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message
from core.identity.principal import Role
from core.identity.repository import staff_ids_covering
from core.push.service import enqueue_to_user
from feedback.reports import repository
from feedback.reports.models import Report
from feedback.reports.status import ReportStatus

STATUS_WORDS: dict[ReportStatus, Message] = {
    ReportStatus.SUBMITTED: Message("đã được gửi", "has been submitted"),
    ReportStatus.ACCEPTED: Message("đã được tiếp nhận", "has been accepted"),
    ReportStatus.REJECTED: Message("đã bị từ chối", "has been rejected"),
    ReportStatus.ASSIGNED: Message("đã được giao xử lý", "has been assigned"),
    ReportStatus.IN_PROGRESS: Message("đang được xử lý", "is being handled"),
    ReportStatus.RESOLVED: Message("đã được xử lý xong", "has been resolved"),
    ReportStatus.CLOSED: Message("đã được đóng", "has been closed"),
}


def status_message(report: Report) -> Message:
    """ "Phản ánh PA-2026-000123 đã được tiếp nhận" and its English twin."""
    words = STATUS_WORDS[report.status]
    return Message(f"Phản ánh {report.code} {words.vi}", f"Report {report.code} {words.en}")


async def audience(session: AsyncSession, report: Report) -> list[uuid.UUID]:
    """The reporter, then the followers, each once."""
    people: list[uuid.UUID] = [report.reporter_id] if report.reporter_id is not None else []
    for user_id in await repository.follower_ids(session, report.id):
        if user_id not in people:
            people.append(user_id)
    return people


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def notify_people(
    session: AsyncSession,
    report: Report,
    *,
    body: Message,
    actor_id: uuid.UUID | None,
    title: Message | None = None,
    recipients: list[uuid.UUID] | None = None,
) -> int:
    """Push `body` about `report` to its reporter and followers (or `recipients`), never to the actor.
    Returns how many people were notified."""
    heading = title or Message(f"Phản ánh {report.code}", f"Report {report.code}")
    people = recipients if recipients is not None else await audience(session, report)
    data = {"report_id": str(report.id), "code": report.code, "status": str(report.status)}
    sent = 0
    for user_id in people:
        if user_id == actor_id:
            continue
        await enqueue_to_user(
            session,
            user_id,
            title=heading,
            body=Message(_clip(body.vi, 1000), _clip(body.en, 1000)),
            data=data,
        )
        sent += 1
    return sent


async def overdue_audience(session: AsyncSession, report: Report) -> list[uuid.UUID]:
    """The officers of the report's unit and of the province above it, then the assignee, each once."""
    people = await staff_ids_covering(session, report.unit_code, [Role.OFFICER])
    if report.assignee_id is not None and report.assignee_id not in people:
        people.append(report.assignee_id)
    return people


async def notify_unit_overdue(session: AsyncSession, report: Report) -> int:
    """Tell the responsible unit's staff that a report is past its deadline; returns how many people."""
    people = await overdue_audience(session, report)
    for user_id in people:
        await enqueue_to_user(
            session,
            user_id,
            title=Message(f"Phản ánh {report.code} quá hạn", f"Report {report.code} is overdue"),
            body=Message(
                f"Phản ánh {report.code} đã quá hạn xử lý, cần xử lý ngay",
                f"Report {report.code} is past its deadline and needs attention",
            ),
            data={"report_id": str(report.id), "code": report.code, "status": str(report.status)},
            high_priority=True,
        )
    return len(people)
