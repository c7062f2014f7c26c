"""The filters of the alarm list, as the route hands them to the query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from core.bbox import BBox

# The name a cursor of the list carries: newest raised first, (raised_at, id).
LIST_SORT = "alarms-raised"


@dataclass(frozen=True, slots=True)
class AlarmFilters:
    statuses: frozenset[str] = frozenset()
    # None: any severity; an empty set matches nothing (a list and a minimum that do not meet).
    severities: frozenset[str] | None = None
    types: frozenset[str] = frozenset()
    unit_codes: frozenset[str] = frozenset()
    bbox: BBox | None = None
    raised_from: datetime | None = None
    raised_to: datetime | None = None
    assignee_id: uuid.UUID | None = None
