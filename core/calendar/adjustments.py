"""The yearly table of government-announced day swaps (data/calendar/vn_adjustments.yaml) and its loader.

The `holidays` package knows the statutory holidays but not every yearly notice, and it never turns a weekend
day into a working day; the table fills both gaps. A wrong table silently shifts every SLA deadline, so the
loader refuses anything doubtful instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from core.settings import PROJECT_ROOT

DEFAULT_ADJUSTMENTS_FILE = PROJECT_ROOT / "data" / "calendar" / "vn_adjustments.yaml"

_SECTIONS = ("days_off", "working_days")
_ENTRY_KEYS = {"date", "reason"}
# Years outside this range are almost certainly typos (e.g. 225 for 2025).
_MIN_YEAR, _MAX_YEAR = 1995, 2100
_SATURDAY = 5


class AdjustmentsError(ValueError):
    """The adjustments table is malformed or contradicts itself."""


@dataclass(frozen=True)
class CalendarAdjustments:
    """Extra weekdays off and make-up working weekend days, keyed by date, with the reason for each."""

    days_off: dict[date, str] = field(default_factory=dict)
    working_days: dict[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked here as well as in the loader so that tables built in code obey the same rules.
        _check_consistency(self.days_off, self.working_days, source="adjustments")


def _check_consistency(days_off: dict[date, str], working_days: dict[date, str], *, source: str) -> None:
    both = sorted(set(days_off) & set(working_days))
    if both:
        raise AdjustmentsError(f"{source}: {both[0].isoformat()} is listed both as a day off and as worked")
    for day in sorted(days_off):
        if day.weekday() >= _SATURDAY:
            raise AdjustmentsError(
                f"{source}: day off {day.isoformat()} is a {day:%A}; only a weekday can be an extra day off"
            )
    for day in sorted(working_days):
        if day.weekday() < _SATURDAY:
            raise AdjustmentsError(
                f"{source}: make-up working day {day.isoformat()} is a {day:%A}; "
                "it must be a Saturday or Sunday"
            )


def _parse_date(value: Any, where: str) -> date:
    # A datetime is a date subclass; a time of day in this table is a mistake, not a detail to drop.
    if isinstance(value, datetime):
        raise AdjustmentsError(f"{where}: expected a date (YYYY-MM-DD), got a date and time {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise AdjustmentsError(f"{where}: {value!r} is not a valid date (YYYY-MM-DD)") from None
    raise AdjustmentsError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")


def parse_adjustments(raw: Any, *, source: str = "adjustments") -> CalendarAdjustments:
    """Validate the decoded table (year -> {days_off: [...], working_days: [...]}) and build it."""
    if raw is None:
        return CalendarAdjustments()
    if not isinstance(raw, dict):
        raise AdjustmentsError(f"{source}: the top level must be a mapping of year -> adjustments")
    collected: dict[str, dict[date, str]] = {name: {} for name in _SECTIONS}
    for year, sections in raw.items():
        # bool is an int subclass; `true:` as a year key is a typo.
        if not isinstance(year, int) or isinstance(year, bool) or not _MIN_YEAR <= year <= _MAX_YEAR:
            raise AdjustmentsError(f"{source}: {year!r} is not a year between {_MIN_YEAR} and {_MAX_YEAR}")
        if sections is None:
            continue
        if not isinstance(sections, dict):
            raise AdjustmentsError(f"{source}: {year} must map to days_off / working_days lists")
        unknown = set(sections) - set(_SECTIONS)
        if unknown:
            raise AdjustmentsError(
                f"{source}: {year} has unknown key(s) {sorted(map(str, unknown))}; expected {list(_SECTIONS)}"
            )
        for name in _SECTIONS:
            entries = sections.get(name) or []
            if not isinstance(entries, list):
                raise AdjustmentsError(f"{source}: {year}.{name} must be a list")
            for index, entry in enumerate(entries):
                where = f"{source}: {year}.{name}[{index}]"
                if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
                    raise AdjustmentsError(f"{where}: expected exactly the keys 'date' and 'reason'")
                day = _parse_date(entry["date"], where)
                reason = entry["reason"]
                if not isinstance(reason, str) or not reason.strip():
                    raise AdjustmentsError(f"{where}: 'reason' must be a non-empty text citing the notice")
                # A swap may reach across New Year (e.g. a late-December Saturday worked for a January day
                # off), so the neighbouring years are accepted, nothing further.
                if abs(day.year - year) > 1:
                    raise AdjustmentsError(f"{where}: {day.isoformat()} does not belong under year {year}")
                for other in _SECTIONS:
                    if day in collected[other]:
                        raise AdjustmentsError(
                            f"{where}: {day.isoformat()} is listed twice"
                            if other == name
                            else f"{where}: {day.isoformat()} is listed both as a day off and as worked"
                        )
                collected[name][day] = reason.strip()
    _check_consistency(collected["days_off"], collected["working_days"], source=source)
    return CalendarAdjustments(days_off=collected["days_off"], working_days=collected["working_days"])


def load_adjustments(path: Path = DEFAULT_ADJUSTMENTS_FILE) -> CalendarAdjustments:
    """Read and validate the adjustments table; raise AdjustmentsError naming the file and the bad entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdjustmentsError(f"{path}: cannot read the calendar adjustments file ({exc})") from exc
    try:
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        # PyYAML raises a bare ValueError for date-shaped values such as 2025-02-30.
        raise AdjustmentsError(f"{path}: not valid YAML or contains an impossible date ({exc})") from exc
    return parse_adjustments(raw, source=str(path))
