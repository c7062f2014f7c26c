"""All SQL of the procedure catalogue: the batch upsert by national code, the ranked search and the
alphabetical list (both keyset-paged), one procedure, the fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.models import Procedure

procedures: Table = Procedure.metadata.tables["dossier_procedures"]

# What an upsert writes besides the code; a row whose values are all the same is left alone, so that sending
# the catalogue again changes nothing, updated_at included.
UPSERT_COLUMNS = (
    "name_vi",
    "name_en",
    "field_vi",
    "field_en",
    "level",
    "deadline_kind",
    "deadline_amount",
    "resume_after_request",
    "fee_vnd",
    "fee_note_vi",
    "fee_note_en",
    "online_level",
    "documents",
    "search_text",
    "name_folded",
    "active",
)

# The rank of a match: its tier first, then how many of the query's words it has, then how close the name is
# to the query (trigram similarity scaled to an integer, so that a cursor carries it exactly).
_TIER = 1_000_000_000
_WORD = 1_000_000
_SIMILARITY = 999_999


@dataclass(frozen=True, slots=True)
class Filters:
    field: str | None = None
    level: str | None = None
    online_level: str | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """A search query: folded, its words (letters and digits only, so they are safe inside a pattern), and
    the query as a procedure code when it reads as one."""

    folded: str
    words: tuple[str, ...]
    code: str | None


async def upsert_procedures(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, bool]:
    """Insert or update `rows` (distinct codes) by code; the codes written, each True when it was created.
    A code missing from the answer was already exactly so."""
    if not rows:
        return {}
    statement = insert(procedures).values(list(rows))
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[procedures.c.code],
        set_={**{name: excluded[name] for name in UPSERT_COLUMNS}, "updated_at": func.now()},
        where=tuple_(*(procedures.c[name] for name in UPSERT_COLUMNS)).is_distinct_from(
            tuple_(*(excluded[name] for name in UPSERT_COLUMNS))
        ),
    )
    # xmax is 0 on a row version this statement inserted, and the updater's id on one it updated.
    returning = statement.returning(procedures.c.code, literal_column("xmax = 0").label("created"))
    return {row.code: bool(row.created) for row in await session.execute(returning)}


def _filtered(filters: Filters) -> list[ColumnElement[bool]]:
    columns = procedures.c
    conditions: list[ColumnElement[bool]] = [columns.active.is_(True)]
    if filters.field is not None:
        conditions.append(or_(columns.field_vi == filters.field, columns.field_en == filters.field))
    if filters.level is not None:
        conditions.append(columns.level == filters.level)
    if filters.online_level is not None:
        conditions.append(columns.online_level == filters.online_level)
    return conditions


def _rank(terms: Terms) -> tuple[ColumnElement[int], ColumnElement[bool]]:
    """The rank expression, and the condition a procedure must meet to be found at all."""
    columns = procedures.c
    # \m: the start of a word, so "ho" finds "ho tich" but not "cho".
    hits = [columns.search_text.regexp_match(r"\m" + word) for word in terms.words]
    phrase = columns.search_text.regexp_match(r"\m" + r"\W+".join(terms.words))
    tiers: list[tuple[ColumnElement[bool], int]] = []
    if terms.code is not None:
        tiers.append((columns.code == terms.code, 5))
    tiers += [
        (columns.name_folded.startswith(terms.folded, autoescape=True), 4),
        (phrase, 3),
        (and_(*hits), 2),
    ]
    tier = cast(case(*tiers, else_=1), BigInteger)
    matched = sum((cast(case((hit, 1), else_=0), BigInteger) for hit in hits), start=literal(0, BigInteger))
    similarity = cast(
        func.round(func.similarity(columns.name_folded, terms.folded) * _SIMILARITY), BigInteger
    )
    rank = tier * _TIER + matched * _WORD + similarity
    # %> is word similarity above pg_trgm's threshold: a mistyped word still finds its procedure.
    found = or_(*hits, columns.search_text.op("%>")(terms.folded))
    if terms.code is not None:
        found = or_(found, columns.code == terms.code)
    return rank, found


async def search(
    session: AsyncSession, terms: Terms, filters: Filters, *, after: tuple[int, str] | None, limit: int
) -> Sequence[Row[Any]]:
    """Active procedures matching `terms`, best first (rank descending, then code), after the key `after`."""
    rank, found = _rank(terms)
    ranked = select(procedures, rank.label("rank")).where(*_filtered(filters), found).subquery()
    statement = select(ranked).order_by(ranked.c.rank.desc(), ranked.c.code).limit(limit)
    if after is not None:
        after_rank, after_code = after
        statement = statement.where(
            or_(ranked.c.rank < after_rank, and_(ranked.c.rank == after_rank, ranked.c.code > after_code))
        )
    return (await session.execute(statement)).all()


async def browse(
    session: AsyncSession, filters: Filters, *, after: tuple[str, str] | None, limit: int
) -> Sequence[Row[Any]]:
    """Active procedures in alphabetical order of their folded name (then code), after the key `after`."""
    columns = procedures.c
    statement = select(procedures).where(*_filtered(filters))
    if after is not None:
        statement = statement.where(tuple_(columns.name_folded, columns.code) > tuple_(*after))
    statement = statement.order_by(columns.name_folded, columns.code).limit(limit)
    return (await session.execute(statement)).all()


async def get_procedure(session: AsyncSession, code: str) -> Row[Any] | None:
    """The procedure with this national code, active or not."""
    return (await session.execute(select(procedures).where(procedures.c.code == code))).first()


async def fields(session: AsyncSession) -> Sequence[Row[Any]]:
    """Each field of the active procedures: field_vi, an English name given for it, the count."""
    columns = procedures.c
    statement = (
        select(
            columns.field_vi, func.max(columns.field_en).label("field_en"), func.count().label("procedures")
        )
        .where(columns.active.is_(True))
        .group_by(columns.field_vi)
    )
    return (await session.execute(statement)).all()
