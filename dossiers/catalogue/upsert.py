"""Agencies upsert the national catalogue: each item checked alone, the good ones written in one statement.

The catalogue is national: a procedure is the same whichever agency applies it, so any agency holding a key
with the dossiers:sync scope may create or change any procedure, and the last write wins. Each call is logged
with the key's name, which is where a wrong change is traced back to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.catalogue import repository
from dossiers.catalogue.checks import Rejection, check_item, item_code
from dossiers.catalogue.schemas import ProcedureBatch, ProcedureUpsert, SyncItemResult, SyncResult
from dossiers.catalogue.text import fold, search_text

logger = logging.getLogger("smartcity.dossiers.catalogue")

_OUTCOMES = ("created", "updated", "unchanged", "rejected")


def stored_row(procedure: ProcedureUpsert) -> dict[str, Any]:
    """The table row of `procedure`, with its folded search text and name."""
    return {
        "code": procedure.code,
        "name_vi": procedure.name_vi,
        "name_en": procedure.name_en,
        "field_vi": procedure.field_vi,
        "field_en": procedure.field_en,
        "level": procedure.level.value,
        "deadline_kind": procedure.deadline.kind.value,
        "deadline_amount": procedure.deadline.amount,
        "resume_after_request": procedure.resume_after_request,
        "fee_vnd": procedure.fee_vnd,
        "fee_note_vi": procedure.fee_note_vi,
        "fee_note_en": procedure.fee_note_en,
        "online_level": procedure.online_level.value,
        "documents": [document.model_dump() for document in procedure.documents],
        "search_text": search_text(
            procedure.code, procedure.name_vi, procedure.name_en, procedure.field_vi, procedure.field_en
        ),
        "name_folded": fold(procedure.name_vi),
        "active": procedure.active,
    }


async def write(session: AsyncSession, procedures: Sequence[ProcedureUpsert]) -> dict[str, bool]:
    """Upsert procedures of distinct codes; the codes written, True for those created."""
    # In code order, so that two agencies' calls on the same procedures lock their rows in the same order
    # and never deadlock each other.
    ordered = sorted(procedures, key=lambda procedure: procedure.code)
    return await repository.upsert_procedures(session, [stored_row(procedure) for procedure in ordered])


def _rejected(index: int, code: str | None, rejection: Rejection) -> SyncItemResult:
    message = rejection.message
    return SyncItemResult(
        index=index,
        code=code,
        result="rejected",
        reason=rejection.reason,
        message_vi=message.vi,
        message_en=message.en,
        errors=rejection.errors,
    )


async def apply_batch(session: AsyncSession, batch: ProcedureBatch, *, client_name: str) -> SyncResult:
    """Apply every valid item of `batch`, refuse the others with their reason; one result per item, in the
    request's order. The first of two items with the same code is applied, the second refused."""
    results: dict[int, SyncItemResult] = {}
    accepted: dict[str, tuple[int, ProcedureUpsert]] = {}
    for index, raw in enumerate(batch.procedures):
        checked = check_item(raw)
        if isinstance(checked, Rejection):
            results[index] = _rejected(index, item_code(raw), checked)
        elif checked.code in accepted:
            results[index] = _rejected(index, checked.code, Rejection("duplicate_in_batch"))
        else:
            accepted[checked.code] = (index, checked)
    written = await write(session, [procedure for _, procedure in accepted.values()])
    for code, (index, _) in accepted.items():
        outcome = "unchanged" if code not in written else "created" if written[code] else "updated"
        results[index] = SyncItemResult(index=index, code=code, result=outcome)
    items = [results[index] for index in sorted(results)]
    counts = {outcome: sum(item.result == outcome for item in items) for outcome in _OUTCOMES}
    # "created" is a LogRecord attribute of its own: the counts go under names of theirs.
    logger.info(
        "procedures synced",
        extra={"api_client": client_name, **{f"procedures_{name}": n for name, n in counts.items()}},
    )
    return SyncResult(**counts, items=items)
