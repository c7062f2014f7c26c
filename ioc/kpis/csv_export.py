"""A section's figures as a CSV file for Excel, the house way (dossiers.figures.open_data): UTF-8 with a
byte order mark, one header row, CRLF line ends; one row per figure, nested figures named with dots
(`by_status.submitted`, `by_severity.critical.raised`), the unit and period repeated on each row so a
pasted row still says what it counts. Every cell is a code, a number or a time we wrote ourselves, so none
can be read as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import Response

from dossiers.figures.open_data import BOM, CSV_TYPE
from ioc.kpis.schemas import KpiHeader

HEADER = ("section", "unit_code", "from", "to", "figure", "value")
_NOT_FIGURES = frozenset({"section", "unit_code", "from", "to"})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _figures(prefix: str, values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in values.items():
        if isinstance(value, dict):
            yield from _figures(f"{prefix}{name}.", value)
        else:
            yield f"{prefix}{name}", _cell(value)


def figure_rows(figures: KpiHeader) -> list[tuple[str, str]]:
    """(figure, value) for every figure of the section, in the JSON answer's order."""
    dumped = figures.model_dump(mode="json", by_alias=True)
    return list(_figures("", {name: value for name, value in dumped.items() if name not in _NOT_FIGURES}))


def _local(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def csv_body(section: str, figures: KpiHeader) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    first = (section, figures.unit_code or "", _local(figures.from_), _local(figures.to))
    writer.writerows((*first, name, value) for name, value in figure_rows(figures))
    return (BOM + buffer.getvalue()).encode("utf-8")


def csv_response(section: str, figures: KpiHeader) -> Response:
    stamp = figures.to.strftime("%Y%m%d-%H%M")
    return Response(
        csv_body(section, figures),
        media_type=CSV_TYPE,
        headers={
            "content-disposition": f'attachment; filename="kpis-{section}-{stamp}.csv"',
            # Figures of a unit's staff: never kept by a shared cache.
            "cache-control": "private, no-store",
        },
    )
