"""The one place a change of a report is recorded, and the refusals every action shares.

Every change locks the report row, checks the move against feedback.reports.status.TRANSITIONS, writes one
timeline entry, updates the report, adds its events to the outbox and queues push notifications for the
reporter and followers, all in the caller's transaction. A refused change raises before anything is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.principal import Principal
from feedback.reports.events import emit_report_event
from feedback.reports.models import Report, TimelineEntry
from feedback.reports.notify import notify_people, status_message
from feedback.reports.status import (
    ReportStatus,
    TimelineKind,
    can_move,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a user with their role, or the system (SLA task, automatic closing)."""

    id: uuid.UUID | None
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id, str(principal.role))


SYSTEM = Actor(None, "system")


def invalid_transition(report: Report, wanted: ReportStatus) -> ProblemError:
    return ProblemError(
        409,
        "invalid_transition",
        Message(
            f"Phản ánh {report.code} đang ở trạng thái {report.status}, không thể chuyển sang {wanted}",
            f"Report {report.code} is {report.status} and cannot move to {wanted}",
        ),
        extensions={"current_status": str(report.status), "wanted_status": str(wanted)},
    )


def not_open(report: Report) -> ProblemError:
    return ProblemError(
        409,
        "report_not_open",
        Message(
            f"Phản ánh {report.code} không còn mở ({report.status})",
            f"Report {report.code} is no longer open ({report.status})",
        ),
        extensions={"current_status": str(report.status)},
    )


def check_move(report: Report, wanted: ReportStatus) -> None:
    if not can_move(report.status, wanted):
        raise invalid_transition(report, wanted)


async def record_change(
    session: AsyncSession,
    report: Report,
    *,
    actor: Actor,
    kind: TimelineKind,
    now: datetime,
    to_status: ReportStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    events: Sequence[tuple[str, dict[str, Any]]] = (),
    push: Message | None = None,
    notify: bool = True,
) -> TimelineEntry:
    """Record one change of `report` (already locked and updated by the caller, except its status).

    `to_status` moves the report (checked against TRANSITIONS) and adds feedback.status_changed; `events`
    are the change's own event types. `push` overrides the notification's body, the new status by default.
    """
    from_status = report.status
    if to_status is not None:
        check_move(report, to_status)
        report.status = to_status
    report.updated_at = now
    entry = TimelineEntry(
        report_id=report.id,
        at=now,
        kind=kind,
        from_status=from_status if to_status is not None else None,
        to_status=to_status,
        actor_id=actor.id,
        actor_role=actor.role,
        note=note,
        data=data or {},
    )
    session.add(entry)
    if to_status is not None:
        await emit_report_event(
            session,
            "feedback.status_changed",
            report,
            {
                "from_status": str(from_status),
                "to_status": str(to_status),
                "kind": str(kind),
            },
        )
    for type_, extra in events:
        await emit_report_event(session, type_, report, extra)
    if notify:
        await notify_people(session, report, body=push or status_message(report), actor_id=actor.id)
    await session.flush()
    return entry
