"""The filters and orders of the report lists, as the routes hand them to the queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from feedback.reports.status import ReportStatus, SlaState


class InboxSort(StrEnum):
    DEADLINE = "deadline"  # nearest resolve deadline first
    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True, slots=True)
class PublicFilters:
    statuses: Sequence[ReportStatus] = ()
    category_codes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class InboxFilters:
    statuses: Sequence[ReportStatus] = ()
    category_codes: Sequence[str] = ()
    unit_codes: Sequence[str] = ()
    department_codes: Sequence[str] = ()
    sla_states: Sequence[SlaState] = ()
    urgent: bool | None = None
    assignee_id: uuid.UUID | None = None
    code_prefix: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def inbox_cursor_sort(sort: InboxSort) -> str:
    """The name a cursor of this inbox order carries."""
    return f"inbox-{sort}"
