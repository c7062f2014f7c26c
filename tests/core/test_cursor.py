"""Keyset pages: one row more than asked says another page follows, and the cursor points at the last kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.cursor import (
    Cursor,
    decode_cursor,
    decode_key_cursor,
    encode_key_cursor,
    fetch_limit,
    key_page,
    keyset_page,
)
from core.errors import ProblemError


@dataclass(frozen=True)
class Row:
    at: datetime
    id: uuid.UUID


def rows(count: int) -> list[Row]:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return [Row(start - timedelta(minutes=n), uuid.uuid4()) for n in range(count)]


def page_of(found: list[Row], limit: int) -> tuple[list[str], str | None]:
    page = keyset_page(found, limit, sort="things", position=lambda r: (r.at, r.id), item=lambda r: str(r.id))
    return page.items, page.next_cursor


def test_a_full_page_with_more_behind_it_carries_the_cursor_of_its_last_row() -> None:
    found = rows(fetch_limit(3))
    items, cursor = page_of(found, 3)
    assert items == [str(r.id) for r in found[:3]]
    assert decode_cursor("things", cursor) == Cursor(at=found[2].at, id=found[2].id)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_last_page_has_no_cursor(count: int) -> None:
    items, cursor = page_of(rows(count), 3)
    assert len(items) == count
    assert cursor is None


def test_a_cursor_of_another_list_is_refused() -> None:
    _, cursor = page_of(rows(4), 3)
    with pytest.raises(ProblemError) as raised:
        decode_cursor("other", cursor)
    assert (raised.value.status, raised.value.code) == (400, "invalid_cursor")


def test_a_key_cursor_gives_back_the_key_of_the_last_kept_row() -> None:
    keys = [("ân giảm|a", 7), ("cap", 3), ("dang", 1)]
    page = key_page(keys, 2, sort="names", key=lambda row: row, item=lambda row: row[0])

    assert page.items == ["ân giảm|a", "cap"]
    assert decode_key_cursor("names", page.next_cursor, (str, int)) == ("cap", 3)
    assert key_page(keys, 3, sort="names", key=lambda row: row, item=lambda row: row).next_cursor is None
    assert decode_key_cursor("names", None, (str, int)) is None


@pytest.mark.parametrize(
    "cursor",
    [
        encode_key_cursor("other", ["cap", 3]),  # another list
        encode_key_cursor("names", ["cap"]),  # too short
        encode_key_cursor("names", [3, "cap"]),  # the wrong types
        "WyJuYW1lcyIsImNhcCIsdHJ1ZV0",  # ["names","cap",true]: a bool is no int
        "WyJuYW1lcyIsImNhcCIsMS41XQ",  # ["names","cap",1.5]
        "eyJhIjoxfQ",  # an object
        "not base64!",
        "",
    ],
)
def test_a_key_cursor_of_another_shape_or_list_is_refused(cursor: str) -> None:
    with pytest.raises(ProblemError) as refused:
        decode_key_cursor("names", cursor, (str, int))

    assert (refused.value.status, refused.value.code) == (400, "invalid_cursor")
