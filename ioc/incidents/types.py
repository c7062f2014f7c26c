"""Closed vocabularies of incidents, stored as strings with CHECK constraints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class IncidentCloseReason(StrEnum):
    RESOLVED = "resolved"  # every alarm cleared and every report resolved, closed or rejected
    OFFICER = "officer"  # closed by hand
    EMPTY = "empty"  # its last member was unlinked


class MemberKind(StrEnum):
    ALARM = "alarm"
    REPORT = "report"


@dataclass(frozen=True, slots=True, order=True)
class MemberRef:
    """One alarm or one report, as a member of an incident."""

    kind: MemberKind
    id: uuid.UUID

    def as_data(self) -> dict[str, str]:
        return {"kind": self.kind.value, "id": str(self.id)}
