"""Periods of receipt as the figure routes take them: local dates or a month, turned into UTC bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.calendar import LOCAL_ZONE
from core.errors import Message, invalid_parameter
from core.http.date_range import check_date_range

MAX_DAYS = 366
# As for every other moment the API takes: no dossier before 2000, none after 2999.
MIN_YEAR = 2000
MAX_YEAR = 2999


@dataclass(frozen=True, slots=True)
class Period:
    first_day: date
    last_day: date

    @property
    def received_from(self) -> datetime:
        return _local_midnight(self.first_day)

    @property
    def received_to(self) -> datetime:
        """Exclusive: the local midnight after the last day."""
        return _local_midnight(self.last_day + timedelta(days=1))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_ZONE).astimezone(UTC)


def _in_years(name: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid_parameter(
            name,
            Message(
                f"Ngày phải nằm trong các năm {MIN_YEAR}-{MAX_YEAR}",
                f"The date must lie in the years {MIN_YEAR}-{MAX_YEAR}",
            ),
        )


def period_of(first_day: date, last_day: date) -> Period:
    """[first_day, last_day], both counted; 422 date_range_reversed when inverted, date_range_too_long when
    longer than MAX_DAYS, validation_error outside the years MIN_YEAR..MAX_YEAR."""
    _in_years("from", first_day.year)
    _in_years("to", last_day.year)
    check_date_range(first_day, last_day, max_days=MAX_DAYS)
    return Period(first_day, last_day)


def month_period(month: str) -> Period:
    """The local days of a "YYYY-MM" month (the route has checked the pattern)."""
    year, number = (int(part) for part in month.split("-"))
    _in_years("month", year)
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def current_month(now: datetime) -> str:
    return now.astimezone(LOCAL_ZONE).strftime("%Y-%m")
