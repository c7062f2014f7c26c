"""The life of a report: its statuses, the moves between them, and how Open311 clients see them.

submitted -> accepted | rejected; accepted -> assigned | rejected; assigned -> in_progress;
in_progress -> resolved; resolved -> closed; resolved | closed -> assigned (reopened by the citizen).
Any open report may be closed as merged into another. Everything else is refused with 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CloseReason(StrEnum):
    """Why a report is closed: the citizen rated it, nobody rated it in time, an officer closed it, or it was
    merged into another report."""

    RATED = "rated"
    AUTO_CLOSED = "auto_closed"
    OFFICER = "officer"
    MERGED = "merged"


class SlaState(StrEnum):
    """Where a report stands against its current deadline (acknowledge first, then resolve)."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class Rating(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


class ReportSource(StrEnum):
    APP = "app"
    OPEN311 = "open311"


class TimelineKind(StrEnum):
    """What a timeline entry records. Status changes carry from/to statuses; the others do not change it."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    STARTED = "started"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REASSIGNED = "reassigned"
    DEADLINE_EXTENDED = "deadline_extended"
    MERGED = "merged"  # this report was merged into another
    MERGED_FROM = "merged_from"  # another report was merged into this one
    RATED = "rated"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


# Kinds whose note is the public answer, the one the report's status_notes shows too (the reject reason, the
# fix). Other staff notes (accepting, assigning, starting, merging, extending, reassigning) are between staff.
PUBLIC_NOTE_KINDS: frozenset[TimelineKind] = frozenset({TimelineKind.REJECTED, TimelineKind.RESOLVED})

# Waiting for the administration: these count for duplicates, "me too" and overdue KPIs.
OPEN_STATUSES: frozenset[ReportStatus] = frozenset(
    {
        ReportStatus.SUBMITTED,
        ReportStatus.ACCEPTED,
        ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    }
)
# Not yet acknowledged: the acknowledge clock runs on these.
UNACKNOWLEDGED: frozenset[ReportStatus] = frozenset({ReportStatus.SUBMITTED})

TRANSITIONS: Mapping[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.SUBMITTED: frozenset({ReportStatus.ACCEPTED, ReportStatus.REJECTED, ReportStatus.CLOSED}),
    ReportStatus.ACCEPTED: frozenset({ReportStatus.ASSIGNED, ReportStatus.REJECTED, ReportStatus.CLOSED}),
    ReportStatus.ASSIGNED: frozenset({ReportStatus.IN_PROGRESS, ReportStatus.CLOSED}),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED}),
    ReportStatus.RESOLVED: frozenset({ReportStatus.CLOSED, ReportStatus.ASSIGNED}),
    ReportStatus.CLOSED: frozenset({ReportStatus.ASSIGNED}),
    ReportStatus.REJECTED: frozenset(),
}


def can_move(current: ReportStatus, target: ReportStatus) -> bool:
    return target in TRANSITIONS[current]


def open311_status(status: ReportStatus) -> str:
    """GeoReport v2 knows only "open" and "closed"; status_notes carry the rest."""
    return "open" if status in OPEN_STATUSES else "closed"
