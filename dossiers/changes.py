"""What happened to a dossier in one applied update: the facts the notifications and events are made of.

The sync service makes one `DossierChange` per update it applies (never for one it skips as a repeat or as
older than what is stored), in the order applied, and hands them to `dossiers.notify.announce` in the same
transaction, so a notification exists exactly when its change is committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dossiers.types import Status


class ChangeKind(StrEnum):
    RECEIVED = "received"  # the dossier is new to us (status 1 or 2)
    STATUS_CHANGED = "status_changed"  # any later status, including 5 and 9 (see `status`)
    APOLOGY = "apology"  # a letter of apology with a new date was attached


@dataclass(frozen=True, slots=True)
class DossierChange:
    kind: ChangeKind
    dossier_id: uuid.UUID
    code: str
    agency_id: uuid.UUID
    unit_code: str
    status: Status
    previous_status: Status | None
    # When it happened, as the agency reported it (the step's time, or the apology's issue time).
    at: datetime
    # The applicant's phone and whether she asked at the counter for SMS; her ID number's keyed hash, which
    # finds her account when it carries one.
    applicant_phone: str | None
    sms_opt_in: bool
    applicant_id_hash: str | None
    # Only for an apology: the new date promised.
    new_due_at: datetime | None = None
