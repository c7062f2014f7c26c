"""Working days and working hours on the Vietnamese civil-service calendar, for SLA clocks and deadlines.

Every public method takes and returns timezone-aware datetimes; calendar arithmetic happens in
Asia/Ho_Chi_Minh (a day is a working day or not in local time) and results come back in UTC, the storage zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from core.calendar.adjustments import (
    DEFAULT_ADJUSTMENTS_FILE,
    AdjustmentsError,
    CalendarAdjustments,
    load_adjustments,
)
from core.calendar.day_info import DayInfo, DayReason, HolidayNames
from core.office_hours import DEFAULT_OFFICE_HOURS, check_office_hours
from core.settings import Settings, get_settings

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# DEFAULT_OFFICE_HOURS: 8 hours a day, the civil-service 40-hour week (Decision 188/1999/QĐ-TTg), so
# "8 working hours" is exactly one working day. Provinces set their own opening times (some open at 07:30 or
# 07:00 in summer): the office_hours setting matches the province's decision (`working_calendar`).

_SATURDAY = 5
# No real calendar has a year without a working day; hitting this means the configuration is broken.
_MAX_DAYS_SEARCHED = 366


def require_aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; naive datetimes are ambiguous and refused")
    return moment


def _require_date(day: date) -> date:
    # A datetime would be silently read as a date in its own zone, which may be another day in Vietnam.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            f"expected a calendar date, got {type(day).__name__}; convert to the local date first"
        )
    return day


def _as_timedelta(hours: float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        amount = hours
    elif isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError(f"hours must be a number or a timedelta, got {type(hours).__name__}")
    elif not math.isfinite(hours):
        raise ValueError(f"hours must be finite, got {hours}")
    else:
        amount = timedelta(hours=hours)
    if amount < timedelta(0):
        raise ValueError(f"hours must not be negative, got {hours}")
    return amount


class WorkingCalendar:
    """Vietnamese working calendar: `holidays` (VN) as the base plus the repo's table of yearly swaps."""

    def __init__(
        self,
        adjustments: CalendarAdjustments | None = None,
        *,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        zone: ZoneInfo = LOCAL_ZONE,
    ) -> None:
        self._adjustments = adjustments if adjustments is not None else CalendarAdjustments()
        self._office_hours = check_office_hours(office_hours)
        self._zone = zone
        self._public_holidays: dict[int, frozenset[date]] = {}
        self._holiday_names: dict[int, HolidayNames] = {}
        # A make-up Saturday that is also a statutory holiday means the table or the package is wrong;
        # better to stop than to count a holiday as worked.
        for day in sorted(self._adjustments.working_days):
            if day in self._holidays_of(day.year):
                raise AdjustmentsError(
                    f"make-up working day {day.isoformat()} is a public holiday in the base calendar"
                )

    @classmethod
    def from_file(
        cls,
        path: Path = DEFAULT_ADJUSTMENTS_FILE,
        *,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        zone: ZoneInfo = LOCAL_ZONE,
    ) -> WorkingCalendar:
        return cls(load_adjustments(path), office_hours=office_hours, zone=zone)

    @property
    def office_hours(self) -> tuple[tuple[time, time], ...]:
        return self._office_hours

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def working_day_length(self) -> timedelta:
        """Office time in one working day (8 hours with the default hours); every working day has the same."""
        return sum(
            (
                datetime.combine(date.min, closing) - datetime.combine(date.min, opening)
                for opening, closing in self._office_hours
            ),
            timedelta(0),
        )

    def _holidays_of(self, year: int) -> frozenset[date]:
        cached = self._public_holidays.get(year)
        if cached is None:
            cached = frozenset(holidays.country_holidays("VN", years=year).keys())
            self._public_holidays[year] = cached
        return cached

    # -- days ---------------------------------------------------------------------------------------------

    def is_public_holiday(self, day: date) -> bool:
        """A statutory holiday or day in lieu from the base calendar, or an extra day off from the table."""
        _require_date(day)
        return day in self._adjustments.days_off or day in self._holidays_of(day.year)

    def is_working_day(self, day: date) -> bool:
        _require_date(day)
        if day in self._adjustments.working_days:
            return True
        if self.is_public_holiday(day):
            return False
        return day.weekday() < _SATURDAY

    def describe(self, day: date) -> DayInfo:
        """Whether `day` is worked, and why not (or why a weekend day is), with the names to show."""
        _require_date(day)
        names = self._holiday_names.get(day.year)
        if names is None:
            names = HolidayNames.of_year(day.year)
            self._holiday_names[day.year] = names
        if day in self._adjustments.working_days:
            return DayInfo.make_up_working_day(day, self._office_hours)
        if day in self._adjustments.days_off:
            return names.swap_day_off(day)
        named = names.describe(day)
        if named is not None:
            return named
        if day.weekday() >= _SATURDAY:
            return DayInfo.off(day, DayReason.WEEKEND)
        return DayInfo.ordinary(day, self._office_hours)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        _require_date(day)
        for offset in range(1, _MAX_DAYS_SEARCHED + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day within {_MAX_DAYS_SEARCHED} days after {day.isoformat()}")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Deadline of a period of `days` working days starting at `start`, in UTC.

        As in the Civil Code (Art. 147-148): the day of the event is not counted, and when the act is done at
        an office the period ends when that office closes on its last day. So the deadline is the closing time
        of the `days`-th working day after the local date of `start`, wherever in that day `start` falls.
        """
        require_aware(start, "start")
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {type(days).__name__}")
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        day = start.astimezone(self._zone).date()
        for _ in range(days):
            day = self.next_working_day(day)
        closing = self._office_hours[-1][1]
        return datetime.combine(day, closing, tzinfo=self._zone).astimezone(UTC)

    # -- hours --------------------------------------------------------------------------------------------

    def _periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office periods (UTC start, UTC end) from `moment` on, the first one clipped to start at `moment`.

        A period that ends exactly at `moment` is skipped, so a start at closing time begins at the next
        opening.
        """
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self._zone).date()
        searched = 0
        while True:
            if self.is_working_day(day):
                searched = 0
                for opening, closing in self._office_hours:
                    begin = datetime.combine(day, opening, tzinfo=self._zone).astimezone(UTC)
                    end = datetime.combine(day, closing, tzinfo=self._zone).astimezone(UTC)
                    if end <= moment:
                        continue
                    yield max(begin, moment), end
            else:
                searched += 1
                if searched > _MAX_DAYS_SEARCHED:
                    raise RuntimeError(f"no working day within {_MAX_DAYS_SEARCHED} days after {moment}")
            day += timedelta(days=1)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself (in UTC) if the office is open then, otherwise the next opening time."""
        require_aware(moment, "moment")
        begin, _ = next(self._periods_from(moment))
        return begin

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment (UTC) when `hours` of office time have elapsed since `start`.

        A start outside office hours counts from the next opening. When the time runs out exactly at a closing
        time, that closing time is the result (16:00 + 1.5 h is 17:30 that day, not the next morning).
        """
        require_aware(start, "start")
        remaining = _as_timedelta(hours)
        for begin, end in self._periods_from(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: the period iterator never ends")

    def working_hours_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time elapsed from `start` to `end` (for KPIs); nights, weekends and holidays count zero."""
        require_aware(start, "start")
        require_aware(end, "end")
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        stop = end.astimezone(UTC)
        total = timedelta(0)
        for begin, finish in self._periods_from(start):
            if begin >= stop:
                break
            total += min(finish, stop) - begin
        return total


@lru_cache(maxsize=4)
def _calendar_with(office_hours: tuple[tuple[time, time], ...]) -> WorkingCalendar:
    return WorkingCalendar.from_file(office_hours=office_hours)


def working_calendar(settings: Settings | None = None) -> WorkingCalendar:
    """The Vietnamese working calendar from the repository's table with the office hours of the settings
    (the process's settings when none are given), read once per process."""
    return _calendar_with((settings if settings is not None else get_settings()).office_hours)
