"""All SQL of the sync batch: a fixed number of statements per batch, whatever its size.

Rows travel as one array per column through `unnest`, so a statement has one parameter per column rather
than one per value (a thousand dossiers of 25 columns would pass PostgreSQL's limit of 32,767 parameters),
and the server plans it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import Cursor, Page, fetch_limit, keyset_page
from dossiers.models import Apology, Dossier, DossierRating, DossierStep, Procedure

# The dossier columns a batch writes, with their PostgreSQL types. next_action travels as text and is cast.
DOSSIER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "uuid"),
    ("code", "text"),
    ("agency_id", "uuid"),
    ("procedure_id", "uuid"),
    ("unit_code", "text"),
    ("channel", "text"),
    ("status", "smallint"),
    ("status_at", "timestamptz"),
    ("applicant_name", "text"),
    ("applicant_phone", "text"),
    ("applicant_id_hash", "text"),
    ("id_suffix_hash", "text"),
    ("sms_opt_in", "boolean"),
    ("received_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("original_due_at", "timestamptz"),
    ("paused_at", "timestamptz"),
    ("remaining_seconds", "integer"),
    ("document_requests", "smallint"),
    ("forced_late", "boolean"),
    ("finished_at", "timestamptz"),
    ("returned_at", "timestamptz"),
    ("next_action", "text"),
    ("fee_vnd", "bigint"),
    ("updated_at", "timestamptz"),
)
_STEP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dossier_id", "uuid"),
    ("status", "smallint"),
    ("previous_status", "smallint"),
    ("at", "timestamptz"),
    ("unit_name", "text"),
    ("officer_name", "text"),
    ("comment", "text"),
    ("public", "boolean"),
    ("created_at", "timestamptz"),
)
_APOLOGY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dossier_id", "uuid"),
    ("reason_vi", "text"),
    ("reason_en", "text"),
    ("new_due_at", "timestamptz"),
    ("agency_id", "uuid"),
    ("issued_at", "timestamptz"),
    ("created_at", "timestamptz"),
)


def _unnest(columns: Sequence[tuple[str, str]]) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns)
    return f"unnest({arrays}) AS v({', '.join(name for name, _ in columns)})"


def _value(name: str) -> str:
    return "CAST(v.next_action AS jsonb)" if name == "next_action" else f"v.{name}"


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


_INSERT_DOSSIERS = text(
    f"INSERT INTO dossiers ({_names(DOSSIER_COLUMNS)}, created_at) "  # noqa: S608  (constants)
    f"SELECT {', '.join(_value(name) for name, _ in DOSSIER_COLUMNS)}, v.updated_at "
    f"FROM {_unnest(DOSSIER_COLUMNS)} "
    "ON CONFLICT (code) DO NOTHING RETURNING code"
)
_UPDATE_DOSSIERS = text(
    "UPDATE dossiers AS d SET "  # noqa: S608  (constants)
    + ", ".join(f"{name} = {_value(name)}" for name, _ in DOSSIER_COLUMNS if name not in ("id", "code"))
    + f" FROM {_unnest(DOSSIER_COLUMNS)} WHERE d.id = v.id"
)
_INSERT_STEPS = text(
    f"INSERT INTO dossier_steps ({_names(_STEP_COLUMNS)}) SELECT * FROM {_unnest(_STEP_COLUMNS)} "  # noqa: S608  (constants)
    "ON CONFLICT ON CONSTRAINT uq_dossier_steps_update DO NOTHING"
)
_INSERT_APOLOGIES = text(
    f"INSERT INTO dossier_apologies ({_names(_APOLOGY_COLUMNS)}) "  # noqa: S608  (constants)
    f"SELECT * FROM {_unnest(_APOLOGY_COLUMNS)} "
    "ON CONFLICT ON CONSTRAINT uq_dossier_apologies_issue DO NOTHING"
)
# Locked in id order: two batches touching the same dossiers then wait for each other instead of each
# holding what the other needs.
_LOCKED_COLUMNS = ", ".join("d." + name for name, _ in DOSSIER_COLUMNS if name != "next_action")
_LOCK_DOSSIERS = text(
    f"SELECT {_LOCKED_COLUMNS}, "  # noqa: S608  (constants)
    "d.next_action, p.deadline_kind, p.deadline_amount, p.resume_after_request "
    "FROM dossiers AS d JOIN dossier_procedures AS p ON p.id = d.procedure_id "
    "WHERE d.code = ANY(CAST(:codes AS text[])) ORDER BY d.id FOR UPDATE OF d"
)
_PROCEDURES = text(
    "SELECT id, code, deadline_kind, deadline_amount, resume_after_request FROM dossier_procedures "
    "WHERE code = ANY(CAST(:codes AS text[]))"
)
_UNITS = text("SELECT code FROM admin_units WHERE code = ANY(CAST(:codes AS text[]))")
_EXISTING_STEPS = text(
    "SELECT s.dossier_id, s.at, s.status FROM dossier_steps AS s JOIN unnest(CAST(:ids AS uuid[]), "
    "CAST(:ats AS timestamptz[]), CAST(:statuses AS smallint[])) AS k(dossier_id, at, status) "
    "ON s.dossier_id = k.dossier_id AND s.at = k.at AND s.status = k.status"
)
_EXISTING_APOLOGIES = text(
    "SELECT a.dossier_id, a.issued_at FROM dossier_apologies AS a JOIN unnest(CAST(:ids AS uuid[]), "
    "CAST(:ats AS timestamptz[])) AS k(dossier_id, issued_at) "
    "ON a.dossier_id = k.dossier_id AND a.issued_at = k.issued_at"
)


def _arrays(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name, _ in columns}


async def procedures(session: AsyncSession, codes: Collection[str]) -> dict[str, Row[Any]]:
    if not codes:
        return {}
    result = await session.execute(_PROCEDURES, {"codes": list(codes)})
    return {row.code: row for row in result}


async def existing_units(session: AsyncSession, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return {row.code for row in await session.execute(_UNITS, {"codes": list(codes)})}


async def lock_dossiers(session: AsyncSession, codes: Collection[str]) -> list[Row[Any]]:
    """The dossiers with these codes, with their procedure's deadline, locked until the transaction ends."""
    if not codes:
        return []
    return list(await session.execute(_LOCK_DOSSIERS, {"codes": list(codes)}))


async def existing_steps(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, datetime, int]]
) -> set[tuple[uuid.UUID, datetime, int]]:
    if not keys:
        return set()
    ids, ats, statuses = zip(*keys, strict=True)
    result = await session.execute(
        _EXISTING_STEPS, {"ids": list(ids), "ats": list(ats), "statuses": list(statuses)}
    )
    return {(row.dossier_id, row.at, row.status) for row in result}


async def existing_apologies(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, datetime]]
) -> set[tuple[uuid.UUID, datetime]]:
    if not keys:
        return set()
    ids, ats = zip(*keys, strict=True)
    result = await session.execute(_EXISTING_APOLOGIES, {"ids": list(ids), "ats": list(ats)})
    return {(row.dossier_id, row.issued_at) for row in result}


async def insert_dossiers(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert new dossiers; the codes inserted (a code another transaction inserted first is left out)."""
    if not rows:
        return set()
    result = await session.execute(_INSERT_DOSSIERS, _arrays(DOSSIER_COLUMNS, rows))
    return {row.code for row in result}


async def update_dossiers(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(_UPDATE_DOSSIERS, _arrays(DOSSIER_COLUMNS, rows))


async def insert_steps(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_STEPS, _arrays(_STEP_COLUMNS, rows))


async def insert_apologies(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_APOLOGIES, _arrays(_APOLOGY_COLUMNS, rows))


async def agency_has_dossiers(session: AsyncSession, agency_id: uuid.UUID) -> bool:
    found = await session.execute(select(col(Dossier.id)).where(col(Dossier.agency_id) == agency_id).limit(1))
    return found.first() is not None


# -- the agency's read side -----------------------------------------------------------------------------

RATING_SORT = "agency-ratings"


async def agency_ratings(
    session: AsyncSession, agency_id: uuid.UUID, *, since: datetime | None, cursor: Cursor | None, limit: int
) -> Page[Row[Any]]:
    """Ratings of the agency's dossiers, oldest first, from `since`."""
    statement = (
        select(
            col(Dossier.code),
            col(Dossier.id),
            col(DossierRating.rating),
            col(DossierRating.comment),
            col(DossierRating.created_at),
        )
        .join(Dossier, col(Dossier.id) == col(DossierRating.dossier_id))
        .where(col(Dossier.agency_id) == agency_id)
    )
    if since is not None:
        statement = statement.where(col(DossierRating.created_at) >= since)
    if cursor is not None:
        statement = statement.where(
            tuple_(col(DossierRating.created_at), col(DossierRating.dossier_id)) > (cursor.at, cursor.id)
        )
    statement = statement.order_by(col(DossierRating.created_at), col(DossierRating.dossier_id)).limit(
        fetch_limit(limit)
    )
    rows: list[Row[Any]] = list(await session.execute(statement))
    return keyset_page(
        rows, limit, sort=RATING_SORT, position=lambda row: (row.created_at, row.id), item=lambda row: row
    )


async def agency_dossier(
    session: AsyncSession, agency_id: uuid.UUID, code: str
) -> tuple[Dossier, str, list[DossierStep], list[Apology]] | None:
    """One of the agency's dossiers with its procedure's code, its steps and its apologies, oldest first."""
    found = (
        await session.execute(
            select(Dossier, col(Procedure.code))
            .join(Procedure, col(Procedure.id) == col(Dossier.procedure_id))
            .where(col(Dossier.code) == code, col(Dossier.agency_id) == agency_id)
        )
    ).first()
    if found is None:
        return None
    dossier, procedure_code = found
    steps = (
        await session.execute(
            select(DossierStep)
            .where(col(DossierStep.dossier_id) == dossier.id)
            .order_by(col(DossierStep.at), col(DossierStep.id))
        )
    ).scalars()
    apologies = (
        await session.execute(
            select(Apology).where(col(Apology.dossier_id) == dossier.id).order_by(col(Apology.issued_at))
        )
    ).scalars()
    return dossier, procedure_code, list(steps), list(apologies)
