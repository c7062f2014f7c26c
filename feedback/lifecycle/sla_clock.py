"""Where a report stands against its current deadline: the one computation the SLA pass and the lifecycle
actions that move a deadline both use.

The current deadline is acknowledge_due_at while a report is submitted, resolve_due_at afterwards. A report
is overdue past it, due soon when fewer than settings.feedback_due_soon_working_hours of office time remain,
on track otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.calendar import WorkingCalendar
from core.settings import Settings
from feedback.reports.models import Report
from feedback.reports.status import ReportStatus, SlaState


def current_deadline(report: Report) -> datetime:
    return report.acknowledge_due_at if report.status == ReportStatus.SUBMITTED else report.resolve_due_at


# Office time is counted no further than this: far more than the largest due-soon threshold (80 working
# hours) even across Tết, so a far deadline is on track without walking the calendar up to it.
COUNTING_HORIZON = timedelta(days=60)


def sla_state(report: Report, calendar: WorkingCalendar, settings: Settings, now: datetime) -> SlaState:
    deadline = current_deadline(report)
    if now > deadline:
        return SlaState.OVERDUE
    remaining = calendar.working_hours_between(now, min(deadline, now + COUNTING_HORIZON))
    if remaining < timedelta(hours=settings.feedback_due_soon_working_hours):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK
