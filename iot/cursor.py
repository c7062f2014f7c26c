"""Opaque cursors of the device list: base64url of "<microseconds since the epoch>|<device id hex>"."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import Message, ProblemError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rejects absurd numbers before datetime arithmetic overflows.
_MAX_MICROS = 10**17
_KIND = "devices"


@dataclass(frozen=True, slots=True)
class Cursor:
    at: datetime
    id: uuid.UUID


def invalid_cursor() -> ProblemError:
    return ProblemError(400, "invalid_cursor", Message(
        "Con trỏ phân trang không hợp lệ; hãy tải lại từ trang đầu",
        "The pagination cursor is not valid; start again from the first page",
    ))


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{_KIND}|{micros}|{row_id.hex}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str | None) -> Cursor | None:
    """The position after which the next page starts; None for the first page."""
    if text is None:
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        kind, micros_text, id_text = raw.split("|")
        if kind != _KIND or not micros_text.lstrip("-").isdigit() or len(id_text) != 32:
            raise ValueError(raw)
        micros = int(micros_text)
        if abs(micros) > _MAX_MICROS:
            raise ValueError(raw)
        return Cursor(at=_EPOCH + timedelta(microseconds=micros), id=uuid.UUID(hex=id_text))
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as error:
        raise invalid_cursor() from error
