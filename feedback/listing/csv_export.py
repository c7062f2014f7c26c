"""The officers' inbox as a CSV file for Excel: UTF-8 with a byte order mark, English headers, local times.

Files travel (by e-mail, on USB sticks), so the export leaves out the reporter's phone and, on anonymous
reports, the reporter's name (staff still see it in the report itself), and every cell that
a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage return) is prefixed with
an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from feedback.listing.schemas import InboxItem

BOM = "\ufeff"
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "code",
    "created_at",
    "category_code",
    "status",
    "sla_state",
    "urgent",
    "unit_code",
    "ward_code",
    "department_code",
    "acknowledge_due_at",
    "resolve_due_at",
    "assignee_id",
    "support_count",
    "anonymous",
    "reporter_name",
    "address",
    "lat",
    "lon",
    "description",
)


def guard(value: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).isoformat(timespec="seconds")


def row(item: InboxItem) -> list[str]:
    cells = [
        item.code,
        _local(item.created_at),
        item.category_code,
        item.status.value,
        item.sla_state.value,
        "yes" if item.urgent else "no",
        item.unit_code,
        item.ward_code or "",
        item.department_code,
        _local(item.acknowledge_due_at),
        _local(item.resolve_due_at),
        str(item.assignee_id) if item.assignee_id else "",
        str(item.support_count),
        "yes" if item.anonymous else "no",
        "" if item.anonymous else item.reporter_name or "",
        item.address or "",
        f"{item.location.lat:.6f}",
        f"{item.location.lon:.6f}",
        item.description,
    ]
    return [guard(cell) for cell in cells]


def _lines(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def csv_chunks(batches: AsyncIterator[list[InboxItem]]) -> AsyncIterator[bytes]:
    """The file in pieces: the BOM and header first, then one piece per batch of rows."""
    yield (BOM + _lines([list(HEADER)])).encode("utf-8")
    async for batch in batches:
        yield _lines(row(item) for item in batch).encode("utf-8")
