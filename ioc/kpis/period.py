"""The period and the bucket size a KPI request names, as `from`, `to` and `interval` query parameters.

`from` and `to` are ISO dates or datetimes. A date is a local day in Asia/Ho_Chi_Minh: `from` starts at its
midnight and `to` counts the whole day (the period ends at the next midnight). A datetime without an offset
is local time too. Without them, the period is the 30 days up to now. Inverted periods are refused, and so
are periods over 366 days, or over 31 days for an hourly series (744 points is what a chart can show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from core.calendar import LOCAL_ZONE, WorkingCalendar
from core.errors import Message, ProblemError, invalid_parameter
from core.http.input_types import MAX_YEAR, MIN_YEAR

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_HOURLY_DAYS = 31


class Interval(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"  # ISO weeks, from Monday


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class KpiQuery:
    """What a KPI request asks for: a unit (None: every unit of the caller) and a period, judged at `now`
    on the working calendar (dossiers' deadlines); the bucket size for a series."""

    unit_code: str | None
    period: Period
    calendar: WorkingCalendar
    now: datetime
    interval: Interval = Interval.DAY


def _bad(name: str) -> ProblemError:
    return invalid_parameter(
        name,
        Message(
            f"{name} phải là ngày (YYYY-MM-DD) hoặc thời điểm ISO 8601 trong các năm {MIN_YEAR}-{MAX_YEAR}",
            f"{name} must be an ISO date (YYYY-MM-DD) or datetime within the years {MIN_YEAR}-{MAX_YEAR}",
        ),
    )


def _moment(name: str, raw: str, *, end_of_day: bool) -> datetime:
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime.combine(day, time(0, 0), tzinfo=LOCAL_ZONE)
        else:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=LOCAL_ZONE)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _bad(name) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _bad(name)
    return moment


def _too_long(days: int) -> ProblemError:
    return invalid_parameter(
        "to",
        Message(f"Tối đa {days} ngày mỗi lần", f"At most {days} days at a time"),
        code="date_range_too_long",
    )


def period_of(
    raw_from: str | None, raw_to: str | None, *, now: datetime, interval: Interval | None = None
) -> Period:
    """The period asked for; 422 validation_error for a value that is no date or datetime,
    date_range_reversed when `to` is not after `from`, date_range_too_long beyond the limits."""
    end = now.astimezone(UTC) if raw_to is None else _moment("to", raw_to, end_of_day=True)
    start = (
        end - timedelta(days=DEFAULT_DAYS)
        if raw_from is None
        else _moment("from", raw_from, end_of_day=False)
    )
    if end <= start:
        raise invalid_parameter(
            "to",
            Message("Thời điểm kết thúc (to) phải sau thời điểm bắt đầu (from)", "to must be after from"),
            code="date_range_reversed",
        )
    limit = MAX_HOURLY_DAYS if interval is Interval.HOUR else MAX_DAYS
    if end - start > timedelta(days=limit):
        raise _too_long(limit)
    return Period(start=start, end=end)
