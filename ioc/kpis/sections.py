"""The KPI sections and the query parameters each kind of KPI request takes: anything else is refused, so a
misspelt parameter (`form=`, `unit=`) is a clear 422 rather than a silently ignored filter."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from core.errors import Message, ProblemError, invalid_parameter


class Section(StrEnum):
    REPORTS = "reports"
    DEVICES = "devices"
    ALARMS = "alarms"
    DISPATCH = "dispatch"
    DOSSIERS = "dossiers"


SECTION_NAMES = ", ".join(section.value for section in Section)
FIGURE_PARAMETERS = frozenset({"unit_code", "from", "to"})
SERIES_PARAMETERS = FIGURE_PARAMETERS | {"interval"}


def section_of(name: str) -> Section:
    """The section named in the path; 404 not_found for any other name."""
    try:
        return Section(name)
    except ValueError:
        raise ProblemError(
            404,
            "not_found",
            Message(
                f"Không có nhóm chỉ số {name[:40]!r}; các nhóm: {SECTION_NAMES}",
                f"There is no KPI section {name[:40]!r}; the sections are {SECTION_NAMES}",
            ),
        ) from None


def check_parameters(given: Iterable[str], allowed: frozenset[str]) -> None:
    """422 validation_error naming the first parameter that is not one of `allowed`."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        listed = ", ".join(sorted(allowed))
        raise invalid_parameter(
            unknown[0][:40],
            Message(
                f"Tham số không được hỗ trợ: {unknown[0][:40]}; chỉ nhận: {listed}",
                f"Unknown parameter {unknown[0][:40]}; accepted: {listed}",
            ),
        )
