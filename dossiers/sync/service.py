"""Applying a sync batch: load what it needs, work it out in memory (batch.Plan), write it, announce it.

A batch costs a fixed number of statements whatever its size: the procedures, the units, the dossiers
(locked), the steps and apologies already stored, then one write per table. Dossiers are locked in id order
so that two batches on the same dossiers wait for each other rather than deadlock; new dossiers are inserted
with ON CONFLICT DO NOTHING, and when another batch inserted one of them first (it waited for that batch to
commit) the batch is worked out again with that dossier as an existing one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.errors import Message, ProblemError
from core.settings import Settings
from dossiers import notify
from dossiers.changes import DossierChange
from dossiers.models import Agency
from dossiers.sync import items, repository
from dossiers.sync.batch import Plan, group_updates, held_from_row
from dossiers.sync.items import Item
from dossiers.sync.lifecycle import Deadlines
from dossiers.sync.schemas import DossierItem, ItemResult, Outcome, StatusItem, SyncResponse

logger = logging.getLogger("smartcity.dossiers.sync")

# A dossier code inserted by another batch at the same moment makes the batch start over; twice in a row
# would take a third batch racing on the same new codes, and a fourth attempt is not worth waiting for.
_ATTEMPTS = 4


class _RacedError(Exception):
    """Another transaction inserted one of the batch's new dossiers first."""


def deadlines_of(settings: Settings) -> Deadlines:
    return Deadlines(calendar=working_calendar(settings), same_day_cutoff=settings.dossier_same_day_cutoff)


@dataclass(frozen=True, slots=True)
class Applied:
    response: SyncResponse
    # What the batch changed, in the order applied, as announced.
    changes: list[DossierChange]


async def apply_batch(
    session: AsyncSession,
    settings: Settings,
    agency: Agency,
    raw_items: Sequence[Any],
    *,
    now: datetime,
    announce: bool = True,
) -> Applied:
    """Apply the items of one sync call for `agency`: a result per item, in input order, and the changes.
    `announce` False only for replayed history (the demo seed), which nobody is to be told about."""
    valid, malformed = items.parse(raw_items)
    prechecked: list[ItemResult] = []
    passed: list[tuple[int, Item]] = []
    for index, item in valid:
        refusal = items.precheck(index, item, agency, now)
        if refusal is None:
            passed.append((index, item))
        else:
            prechecked.append(refusal)
    plan = await _planned_and_written(session, settings, agency, passed, now=now)
    if announce:
        await notify.announce(session, settings, plan.changes)
    results = sorted([*malformed, *prechecked, *plan.results], key=lambda result: result.index)
    counts = Counter(result.result for result in results)
    response = SyncResponse(results=results, counts={outcome: counts.get(outcome, 0) for outcome in Outcome})
    return Applied(response=response, changes=plan.changes)


async def _planned_and_written(
    session: AsyncSession,
    settings: Settings,
    agency: Agency,
    passed: list[tuple[int, Item]],
    *,
    now: datetime,
) -> Plan:
    for _ in range(_ATTEMPTS):
        plan = await _plan(session, settings, agency, passed, now=now)
        try:
            await _write(session, plan)
        except _RacedError:
            logger.info("sync batch raced another on a new dossier; working it out again")
            continue
        return plan
    raise ProblemError(
        409,
        "conflict",
        Message(
            "Hồ sơ đang được một lô khác tạo cùng lúc; hãy gửi lại",
            "Another batch is creating the same dossiers; send again",
        ),
    )


async def _plan(
    session: AsyncSession,
    settings: Settings,
    agency: Agency,
    passed: list[tuple[int, Item]],
    *,
    now: datetime,
) -> Plan:
    dossier_items = [(index, item) for index, item in passed if isinstance(item, DossierItem)]
    updates = [(index, item) for index, item in passed if not isinstance(item, DossierItem)]
    procedures = await repository.procedures(session, {item.procedure_code for _, item in dossier_items})
    units = await repository.existing_units(
        session, {item.unit_code for _, item in dossier_items if item.unit_code}
    )
    rows = await repository.lock_dossiers(session, {item.code for _, item in passed})
    held = {row.code: held_from_row(row) for row in rows}
    known_steps = await repository.existing_steps(
        session,
        [
            (held[item.code].id, item.at, int(item.status))
            for _, item in updates
            if isinstance(item, StatusItem) and item.code in held
        ],
    )
    known_apologies = await repository.existing_apologies(
        session,
        [
            (held[item.code].id, item.issued_at)
            for _, item in updates
            if not isinstance(item, StatusItem) and item.code in held
        ],
    )
    plan = Plan(
        agency=agency,
        settings=settings,
        deadlines=deadlines_of(settings),
        now=now,
        held=held,
        known_steps=known_steps,
        known_apologies=known_apologies,
    )
    # Dossiers first, so that a dossier and its steps may come in one batch in any order.
    for index, item in dossier_items:
        procedure = procedures.get(item.procedure_code)
        if procedure is None:
            plan.results.append(items.unknown_procedure(index, item))
        elif item.unit_code is not None and item.unit_code not in units:
            plan.results.append(items.unknown_unit(index, item))
        else:
            plan.results.append(plan.dossier(index, item, plan.describe(item, procedure)))
    for code, entries in group_updates(updates).items():
        plan.results.extend(plan.updates(code, entries))
    return plan


async def _write(session: AsyncSession, plan: Plan) -> None:
    new_rows = plan.new_rows()
    if new_rows:
        # In a savepoint: when another batch won the race for a code, the rows this statement did insert
        # are undone with it, and the batch is worked out again.
        async with session.begin_nested():
            inserted = await repository.insert_dossiers(session, new_rows)
            if len(inserted) != len(new_rows):
                raise _RacedError
    await repository.insert_steps(session, plan.steps)
    await repository.insert_apologies(session, plan.apologies)
    await repository.update_dossiers(session, plan.changed_rows())
