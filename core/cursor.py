"""Opaque pagination cursors: the sort key of the last row a page ended on.

A cursor is base64url text of "<sort>|<microseconds since the epoch>|<row id>". Clients must treat it as
opaque; the sort name inside means a cursor from one ordering is refused by another rather than silently
skipping rows. Anything that does not decode exactly is a 400 invalid_cursor.

An order on other keys (a search's rank, a name) uses a key cursor: base64url JSON of the sort name and the
last row's key values, strings and integers, checked against the shape the caller expects.

A keyset page is read with one row more than asked (`fetch_limit`): that row's presence says another page
follows, and `keyset_page` cuts it off and makes the cursor from the last row kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from core.errors import Message, ProblemError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A generous bound that still rejects absurd numbers before datetime arithmetic overflows.
_MAX_MICROS = 10**17


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the sort's timestamp and the row's id (the tie-breaker)."""

    at: datetime
    id: uuid.UUID


def invalid_cursor() -> ProblemError:
    return ProblemError(
        400,
        "invalid_cursor",
        Message(
            "Con trỏ phân trang không hợp lệ; hãy tải lại từ trang đầu",
            "The pagination cursor is not valid; start again from the first page",
        ),
    )


def encode_cursor(sort: str, at: datetime, row_id: uuid.UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{sort}|{micros}|{row_id.hex}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(sort: str, text: str | None) -> Cursor | None:
    """The cursor's position, None for the first page; 400 invalid_cursor when it was not made by us for
    this sort."""
    if text is None:
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        kind, micros_text, id_text = raw.split("|")
        if kind != sort or not micros_text.lstrip("-").isdigit() or len(id_text) != 32:
            raise ValueError(raw)
        micros = int(micros_text)
        if abs(micros) > _MAX_MICROS:
            raise ValueError(raw)
        return Cursor(at=_EPOCH + timedelta(microseconds=micros), id=uuid.UUID(hex=id_text))
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as error:
        raise invalid_cursor() from error


KeyValue = str | int


def encode_key_cursor(sort: str, key: Sequence[KeyValue]) -> str:
    """A cursor after the row whose sort key is `key`, for an order that is not (timestamp, id)."""
    raw = json.dumps([sort, *key], ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_key_cursor(
    sort: str, text: str | None, shape: Sequence[type[KeyValue]]
) -> tuple[KeyValue, ...] | None:
    """The key of a cursor made by `encode_key_cursor` for this sort, its values of the types in `shape`;
    None for the first page; 400 invalid_cursor otherwise."""
    if text is None:
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        decoded = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii"))
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError) as error:
        raise invalid_cursor() from error
    # type() rather than isinstance(): JSON true is a bool, which isinstance() would take for an int.
    if (
        not isinstance(decoded, list)
        or len(decoded) != len(shape) + 1
        or decoded[0] != sort
        or any(type(value) is not kind for value, kind in zip(decoded[1:], shape, strict=True))
        or any(type(value) is int and abs(value) > _MAX_MICROS for value in decoded[1:])
    ):
        raise invalid_cursor()
    return tuple(decoded[1:])


T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next, None on the last page."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


def fetch_limit(limit: int) -> int:
    """How many rows to read for a page of `limit`: one more tells whether another page follows."""
    return limit + 1


def keyset_page(
    rows: Sequence[R],
    limit: int,
    *,
    sort: str,
    position: Callable[[R], tuple[datetime, uuid.UUID]],
    item: Callable[[R], T],
) -> Page[T]:
    """The page of `rows` read with fetch_limit(limit): at most `limit` items, and a cursor at the last one
    (its `position`: sort timestamp and tie-breaking id) when a further row was found."""
    kept = rows[:limit]
    next_cursor = None
    if len(rows) > limit and kept:
        at, row_id = position(kept[-1])
        next_cursor = encode_cursor(sort, at, row_id)
    return Page(items=[item(row) for row in kept], next_cursor=next_cursor)


def key_page(
    rows: Sequence[R],
    limit: int,
    *,
    sort: str,
    key: Callable[[R], Sequence[KeyValue]],
    item: Callable[[R], T],
) -> Page[T]:
    """keyset_page for an order on other keys: the cursor carries the last kept row's `key`."""
    kept = rows[:limit]
    next_cursor = encode_key_cursor(sort, key(kept[-1])) if len(rows) > limit and kept else None
    return Page(items=[item(row) for row in kept], next_cursor=next_cursor)
