"""Opaque pagination cursors: the sort key of the last row a page ended on.

A cursor is base64url text of "<sort>|<microseconds since the epoch>|<row id>". Clients must treat it as
opaque; the sort name inside means a cursor from one ordering is refused by another rather than silently
skipping rows. Anything that does not decode exactly is a 400 invalid_cursor.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    return ProblemError(400, "invalid_cursor", Message(
        "Con trỏ phân trang không hợp lệ; hãy tải lại từ trang đầu",
        "The pagination cursor is not valid; start again from the first page",
    ))


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
