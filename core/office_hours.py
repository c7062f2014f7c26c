"""Office hours: the daily opening periods of the one-stop offices, as local wall-clock times.

Written in settings as "08:00-12:00,13:30-17:30" (SMARTCITY_OFFICE_HOURS). Every working day has the same
periods, in order and without overlap. Kept apart from core.calendar so that core.settings can check the
setting at start-up without importing the calendar (which itself reads the project root from the settings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time

OfficePeriod = tuple[time, time]

DEFAULT_OFFICE_HOURS_TEXT = "08:00-12:00,13:30-17:30"

_PERIOD = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")


def check_office_hours(office_hours: Sequence[OfficePeriod]) -> tuple[OfficePeriod, ...]:
    """The periods as a tuple, once checked: at least one, each opening before closing, in order, apart."""
    periods = tuple(office_hours)
    if not periods:
        raise ValueError("office_hours must contain at least one period")
    previous_end: time | None = None
    for opening, closing in periods:
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise ValueError("office_hours are local wall-clock times and must be naive")
        if not opening < closing:
            raise ValueError(f"office period {opening:%H:%M}-{closing:%H:%M} must open before it closes")
        if previous_end is not None and opening < previous_end:
            raise ValueError("office_hours periods must be in order and must not overlap")
        previous_end = closing
    return periods


def parse_office_hours(text: str) -> tuple[OfficePeriod, ...]:
    """Read "HH:MM-HH:MM,HH:MM-HH:MM" (24-hour clock); raise ValueError naming the part that is wrong."""
    parts = [part.strip() for part in text.split(",")]
    periods: list[OfficePeriod] = []
    for part in parts:
        match = _PERIOD.match(part)
        if match is None:
            raise ValueError(
                f"office hours {text!r}: {part!r} is not a period HH:MM-HH:MM "
                f"(expected e.g. {DEFAULT_OFFICE_HOURS_TEXT!r})"
            )
        hour_open, minute_open, hour_close, minute_close = (int(group) for group in match.groups())
        periods.append((time(hour_open, minute_open), time(hour_close, minute_close)))
    try:
        return check_office_hours(periods)
    except ValueError as exc:
        raise ValueError(f"office hours {text!r}: {exc}") from None


def format_office_hours(office_hours: Sequence[OfficePeriod]) -> str:
    return ",".join(f"{opening:%H:%M}-{closing:%H:%M}" for opening, closing in office_hours)


DEFAULT_OFFICE_HOURS: tuple[OfficePeriod, ...] = parse_office_hours(DEFAULT_OFFICE_HOURS_TEXT)
