"""A stored procedure as the public answers show it: the deadline, fee and online level in words."""

from __future__ import annotations

from typing import Any

from dossiers.catalogue import wording
from dossiers.catalogue.schemas import Document, ProcedureRead, ProcedureSummary
from dossiers.deadlines import DeadlineKind
from dossiers.types import AgencyLevel, OnlineLevel


def _common(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "name_vi": row.name_vi,
        "name_en": row.name_en,
        "field_vi": row.field_vi,
        "field_en": row.field_en,
        "level": AgencyLevel(row.level),
        "deadline": wording.deadline(DeadlineKind(row.deadline_kind), row.deadline_amount),
        "fee": wording.fee(row.fee_vnd, row.fee_note_vi, row.fee_note_en),
        "online": wording.online(OnlineLevel(row.online_level)),
    }


def summary(row: Any) -> ProcedureSummary:
    return ProcedureSummary(**_common(row))


def detail(row: Any) -> ProcedureRead:
    return ProcedureRead(
        **_common(row),
        documents=[Document.model_validate(document) for document in row.documents],
        resume_after_request=row.resume_after_request,
        active=row.active,
        updated_at=row.updated_at,
    )
