"""The public catalogue search: what a query means, its order, and pages that stay right under ranking.

With a query, procedures are found by the words of the folded query (each at the start of a word of the
folded code, names and field) or by trigram word similarity (a mistyped word), and ranked: the code itself,
then names starting with the query, then the words as a phrase, then all the words anywhere, then some of
them; within a tier, more words matched, then names closer to the query; the code breaks ties. Without one,
the catalogue in alphabetical order of the folded name.

A cursor carries the last row's sort key (rank and code, or folded name and code) and a digest of the query
and filters, so it continues exactly where its page ended and is refused by another query.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Page, decode_key_cursor, fetch_limit, key_page
from core.errors import Message, invalid_parameter
from dossiers.catalogue import read, repository
from dossiers.catalogue.repository import Filters, Terms
from dossiers.catalogue.schemas import ProcedureSummary, is_procedure_code, normalise_code
from dossiers.catalogue.text import fold

MAX_QUERY_LENGTH = 200
# Words beyond these still count in the phrase and similarity, not one by one.
MAX_WORDS = 16
_WORD = re.compile(r"\w+")


def _no_nul(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise invalid_parameter(
            name, Message("Không được chứa ký tự NUL", "Must not contain the NUL character")
        )
    return value


def _sort(kind: str, terms: str, filters: Filters) -> str:
    described = json.dumps([terms, filters.field, filters.level, filters.online_level], ensure_ascii=True)
    return f"procedures.{kind}.{hashlib.sha256(described.encode()).hexdigest()[:16]}"


def _terms(q: str) -> Terms | None:
    folded = fold(q)
    if not folded:
        return None
    words = tuple(_WORD.findall(folded))[:MAX_WORDS]
    if not words:
        raise invalid_parameter(
            "q",
            Message("Từ khóa cần có ít nhất một chữ hoặc số", "The query needs at least one letter or digit"),
        )
    code = normalise_code(q)
    return Terms(folded=folded, words=words, code=code if is_procedure_code(code) else None)


def _ranked_key(row: Any) -> Sequence[int | str]:
    return (row.rank, row.code)


def _name_key(row: Any) -> Sequence[int | str]:
    return (row.name_folded, row.code)


async def search(
    session: AsyncSession,
    *,
    q: str | None,
    field: str | None,
    level: str | None,
    online_level: str | None,
    cursor: str | None,
    limit: int,
) -> Page[ProcedureSummary]:
    field = _no_nul("field", field)
    filters = Filters(
        field=unicodedata.normalize("NFC", field.strip()) if field and field.strip() else None,
        level=level,
        online_level=online_level,
    )
    terms = _terms(_no_nul("q", q) or "")
    if terms is None:
        sort = _sort("name", "", filters)
        key = decode_key_cursor(sort, cursor, (str, str))
        after = (str(key[0]), str(key[1])) if key is not None else None
        rows = await repository.browse(session, filters, after=after, limit=fetch_limit(limit))
        return key_page(rows, limit, sort=sort, key=_name_key, item=read.summary)
    sort = _sort("rank", terms.folded, filters)
    key = decode_key_cursor(sort, cursor, (int, str))
    ranked_after = (int(key[0]), str(key[1])) if key is not None else None
    rows = await repository.search(session, terms, filters, after=ranked_after, limit=fetch_limit(limit))
    return key_page(rows, limit, sort=sort, key=_ranked_key, item=read.summary)


async def field_list(session: AsyncSession) -> list[dict[str, Any]]:
    """The fields of the active procedures, in alphabetical order of their folded Vietnamese name."""
    rows = await repository.fields(session)
    ordered = sorted(rows, key=lambda row: (fold(row.field_vi), row.field_vi))
    return [
        {"field_vi": row.field_vi, "field_en": row.field_en, "procedures": row.procedures} for row in ordered
    ]
