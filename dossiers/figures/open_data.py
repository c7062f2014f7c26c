"""The open data's files: the same figures as JSON and as CSV for Excel, with HTTP caching.

The CSV is UTF-8 with a byte order mark, which is what makes Excel read Vietnamese unit names right, one
header row, CRLF line ends. Its cells are counts, rates, codes and the units' names from our own table of
administrative units: nothing a spreadsheet would take for a formula and no personal data.
"""

from __future__ import annotations

import csv
import io

from fastapi import Request, Response

from core.http.conditional import conditional
from dossiers.figures.schemas import OpenFiguresRead, UnitMonthFigures

BOM = "\ufeff"
# The figures of the current month move as dossiers are handled; five minutes is fresh enough for open data
# and lets caches in front of us answer most requests.
CACHE_CONTROL = "public, max-age=300"
CSV_TYPE = "text/csv; charset=utf-8"

HEADER = (
    "month",
    "unit_code",
    "unit_name",
    "unit_name_en",
    "received",
    "withdrawn",
    "handled",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "open_within_deadline",
    "open_overdue",
    "on_time_rate",
    "ratings",
    "very_satisfied",
    "satisfied",
    "not_satisfied",
    "satisfaction_rate",
)


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _row(item: UnitMonthFigures) -> list[str]:
    ratings = item.satisfaction
    numbers = (
        item.received,
        item.withdrawn,
        item.handled,
        item.finished_early,
        item.finished_on_time,
        item.finished_late,
        item.open_within_deadline,
        item.open_overdue,
    )
    return [
        item.month,
        item.unit_code,
        item.unit_name,
        item.unit_name_en,
        *(str(number) for number in numbers),
        _rate(item.on_time_rate),
        str(ratings.ratings),
        str(ratings.very_satisfied),
        str(ratings.satisfied),
        str(ratings.not_satisfied),
        _rate(ratings.rate),
    ]


def csv_body(figures: OpenFiguresRead) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_row(item) for item in figures.units)
    return (BOM + buffer.getvalue()).encode("utf-8")


def json_response(request: Request, figures: OpenFiguresRead) -> Response:
    body = figures.model_dump_json().encode("utf-8")
    return conditional(
        request, body, media_type="application/json", last_modified=None, cache_control=CACHE_CONTROL
    )


def csv_response(request: Request, figures: OpenFiguresRead) -> Response:
    response = conditional(
        request, csv_body(figures), media_type=CSV_TYPE, last_modified=None, cache_control=CACHE_CONTROL
    )
    response.headers["content-disposition"] = f'attachment; filename="dossier-figures-{figures.month}.csv"'
    return response
