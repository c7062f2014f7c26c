"""A batch worked out in memory: the dossiers it touches, the results, the rows to write and the changes.

The service loads what the batch needs in a few queries, hands it here, and writes what comes out. Nothing
here touches the database, so a batch of a thousand items costs a thousand light Python steps and no query.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from core.settings import Settings
from dossiers.changes import ChangeKind, DossierChange
from dossiers.deadlines import DeadlineRule
from dossiers.keys import id_hash, suffix_hash
from dossiers.models import Agency
from dossiers.sync import items
from dossiers.sync.items import Item
from dossiers.sync.lifecycle import (
    LIFE_FIELDS,
    Clock,
    Deadlines,
    LifeState,
    after_apology,
    after_step,
    may_apologise,
    received,
    step_refusal,
)
from dossiers.sync.schemas import ApologyItem, DossierItem, ItemResult, Outcome, StatusItem
from dossiers.types import Status


@dataclass(slots=True)
class Described:
    """What a dossier item sets: the fields an update may change."""

    procedure_id: uuid.UUID
    clock: Clock
    unit_code: str
    channel: str
    applicant_name: str
    applicant_phone: str | None
    applicant_id_hash: str | None
    id_suffix_hash: str | None
    sms_opt_in: bool
    fee_vnd: int | None

    def same_as(self, other: Described) -> bool:
        return (
            self.procedure_id,
            self.unit_code,
            self.channel,
            self.applicant_name,
            self.applicant_phone,
            self.applicant_id_hash,
            self.id_suffix_hash,
            self.sms_opt_in,
            self.fee_vnd,
        ) == (
            other.procedure_id,
            other.unit_code,
            other.channel,
            other.applicant_name,
            other.applicant_phone,
            other.applicant_id_hash,
            other.id_suffix_hash,
            other.sms_opt_in,
            other.fee_vnd,
        )


@dataclass(slots=True)
class Held:
    """A dossier as the batch sees it: its row's columns, changed in memory."""

    id: uuid.UUID
    code: str
    agency_id: uuid.UUID
    described: Described
    life: LifeState
    new: bool
    dirty: bool = False

    def row(self, now: datetime) -> dict[str, Any]:
        """The row to write, with the columns of repository.DOSSIER_COLUMNS."""
        life, described = self.life, self.described
        return {
            "id": self.id,
            "code": self.code,
            "agency_id": self.agency_id,
            "procedure_id": described.procedure_id,
            "unit_code": described.unit_code,
            "channel": described.channel,
            "status": int(life.status),
            "applicant_name": described.applicant_name,
            "applicant_phone": described.applicant_phone,
            "applicant_id_hash": described.applicant_id_hash,
            "id_suffix_hash": described.id_suffix_hash,
            "sms_opt_in": described.sms_opt_in,
            "fee_vnd": described.fee_vnd,
            "next_action": None if life.next_action is None else json.dumps(life.next_action),
            "updated_at": now,
            **{name: getattr(life, name) for name in LIFE_FIELDS},
        }


def clock_of(row: Any) -> Clock:
    return Clock(
        rule=DeadlineRule(row.deadline_kind, Decimal(row.deadline_amount)),
        resume_after_request=row.resume_after_request,
    )


def held_from_row(row: Row[Any]) -> Held:
    next_action = row.next_action
    if isinstance(next_action, str):
        next_action = json.loads(next_action)
    life = LifeState(
        status=Status(row.status),
        next_action=next_action,
        **{name: getattr(row, name) for name in LIFE_FIELDS},
    )
    described = Described(
        procedure_id=row.procedure_id,
        clock=clock_of(row),
        unit_code=row.unit_code,
        channel=row.channel,
        applicant_name=row.applicant_name,
        applicant_phone=row.applicant_phone,
        applicant_id_hash=row.applicant_id_hash,
        id_suffix_hash=row.id_suffix_hash,
        sms_opt_in=row.sms_opt_in,
        fee_vnd=row.fee_vnd,
    )
    return Held(id=row.id, code=row.code, agency_id=row.agency_id, described=described, life=life, new=False)


@dataclass(slots=True)
class Plan:
    """The outcome of a batch worked out in memory."""

    agency: Agency
    settings: Settings
    deadlines: Deadlines
    now: datetime
    held: dict[str, Held]
    # (dossier id, at, status) of the steps already stored, and (dossier id, issued_at) of the apologies.
    known_steps: set[tuple[uuid.UUID, datetime, int]]
    known_apologies: set[tuple[uuid.UUID, datetime]]
    results: list[ItemResult] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    apologies: list[dict[str, Any]] = field(default_factory=list)
    changes: list[DossierChange] = field(default_factory=list)

    def _change(
        self,
        held: Held,
        kind: ChangeKind,
        previous: Status | None,
        at: datetime,
        new_due_at: datetime | None = None,
    ) -> None:
        self.changes.append(
            DossierChange(
                kind=kind,
                dossier_id=held.id,
                code=held.code,
                agency_id=held.agency_id,
                unit_code=held.described.unit_code,
                status=held.life.status,
                previous_status=previous,
                at=at,
                applicant_phone=held.described.applicant_phone,
                sms_opt_in=held.described.sms_opt_in,
                applicant_id_hash=held.described.applicant_id_hash,
                new_due_at=new_due_at,
            )
        )

    def _step(self, held: Held, previous: Status | None, item: StatusItem | None) -> None:
        life = held.life
        self.steps.append(
            {
                "dossier_id": held.id,
                "status": int(life.status),
                "previous_status": None if previous is None else int(previous),
                "at": life.status_at,
                # The receipt's step is the agency's own: its one-stop office received the dossier.
                "unit_name": item.unit_name if item else self.agency.name_vi,
                "officer_name": item.officer_name if item else None,
                "comment": item.comment if item else None,
                "public": item.public if item else True,
                "created_at": self.now,
            }
        )
        self.known_steps.add((held.id, life.status_at, int(life.status)))

    # -- dossier items -------------------------------------------------------------------------------

    def describe(self, item: DossierItem, procedure: Row[Any]) -> Described:
        applicant = item.applicant
        hashed = suffix = None
        if applicant.id_number is not None:
            hashed = id_hash(self.settings, applicant.id_number)
            suffix = suffix_hash(self.settings, item.code, applicant.id_number[-4:])
        return Described(
            procedure_id=procedure.id,
            clock=clock_of(procedure),
            unit_code=item.unit_code or self.agency.unit_code,
            channel=item.channel.value,
            applicant_name=applicant.name,
            applicant_phone=applicant.phone,
            applicant_id_hash=hashed,
            id_suffix_hash=suffix,
            sms_opt_in=item.sms_opt_in,
            fee_vnd=item.fee_vnd,
        )

    def dossier(self, index: int, item: DossierItem, described: Described) -> ItemResult:
        held = self.held.get(item.code)
        if held is not None:
            if held.agency_id != self.agency.id:
                return items.other_agency(index, item.code, self.agency)
            if held.described.same_as(described):
                return items.outcome(index, item.code, Outcome.UNCHANGED)
            held.described = described
            held.dirty = True
            return items.outcome(index, item.code, Outcome.UPDATED)
        status = Status(item.status)
        held = Held(
            id=uuid.uuid4(),
            code=item.code,
            agency_id=self.agency.id,
            described=described,
            life=received(status, item.received_at, described.clock, self.deadlines),
            new=True,
        )
        self.held[item.code] = held
        self._step(held, None, None)
        self._change(held, ChangeKind.RECEIVED, None, item.received_at)
        return items.outcome(index, item.code, Outcome.CREATED)

    # -- status changes and apologies ------------------------------------------------------------------

    def updates(self, code: str, entries: list[tuple[int, Item]]) -> list[ItemResult]:
        """Apply one dossier's status changes and apologies in time order (ties in input order)."""
        held = self.held.get(code)
        if held is None:
            return [items.unknown_dossier(index, code) for index, _ in entries]
        if held.agency_id != self.agency.id:
            return [items.other_agency(index, code, self.agency) for index, _ in entries]
        ordered = sorted(entries, key=lambda entry: (items.moment_of(entry[1]), entry[0]))
        return [
            self._status(held, index, item)
            if isinstance(item, StatusItem)
            else self._apology(held, index, item)
            for index, item in ordered
            if isinstance(item, StatusItem | ApologyItem)
        ]

    def _status(self, held: Held, index: int, item: StatusItem) -> ItemResult:
        if (held.id, item.at, int(item.status)) in self.known_steps:
            return items.outcome(index, item.code, Outcome.UNCHANGED)
        current = held.life.status
        refusal = step_refusal(held.life, item.status, item.at)
        if refusal is not None:
            return items.refused_step(index, item.code, refusal, current, item.status)
        next_action = item.next_action.model_dump(mode="json") if item.next_action else None
        held.life = after_step(
            held.life, item.status, item.at, held.described.clock, self.deadlines, next_action=next_action
        )
        held.dirty = True
        self._step(held, current, item)
        self._change(held, ChangeKind.STATUS_CHANGED, current, item.at)
        return items.outcome(index, item.code, Outcome.UPDATED)

    def _apology(self, held: Held, index: int, item: ApologyItem) -> ItemResult:
        if (held.id, item.issued_at) in self.known_apologies:
            return items.outcome(index, item.code, Outcome.UNCHANGED)
        if item.issued_at < held.life.received_at:
            return items.before_receipt(index, item.code)
        if not may_apologise(held.life, self.deadlines, item.issued_at):
            return items.not_late(index, item.code)
        held.life = after_apology(held.life, item.new_due_at)
        held.dirty = True
        self.known_apologies.add((held.id, item.issued_at))
        self.apologies.append(
            {
                "dossier_id": held.id,
                "reason_vi": item.reason_vi,
                "reason_en": item.reason_en,
                "new_due_at": item.new_due_at,
                "agency_id": self.agency.id,
                "issued_at": item.issued_at,
                "created_at": self.now,
            }
        )
        self._change(held, ChangeKind.APOLOGY, None, item.issued_at, new_due_at=item.new_due_at)
        return items.outcome(index, item.code, Outcome.UPDATED)

    # -- what to write ------------------------------------------------------------------------------

    def new_rows(self) -> list[dict[str, Any]]:
        return [held.row(self.now) for held in self.held.values() if held.new]

    def changed_rows(self) -> list[dict[str, Any]]:
        return [held.row(self.now) for held in self.held.values() if held.dirty and not held.new]


def group_updates(entries: Sequence[tuple[int, Item]]) -> dict[str, list[tuple[int, Item]]]:
    grouped: dict[str, list[tuple[int, Item]]] = defaultdict(list)
    for index, item in entries:
        grouped[item.code].append((index, item))
    return grouped
