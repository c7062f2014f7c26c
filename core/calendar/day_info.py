"""What one calendar day is, for the public calendar: worked or not, the reason, and the names to show.

The reasons come from two sources. The `holidays` package (VN) gives the statutory holidays, their days in
lieu (a holiday falling on a weekend is taken on the next working day; the package adds those only when it
applies its "observed" rules, which is how they are told apart) and the swaps it knows of; the repository's
adjustments table gives the yearly swaps of the government notices and the make-up working weekend days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import holidays

from core.office_hours import OfficePeriod

# The English label the `holidays` package gives a weekday taken off in a swap it knows of ("Day off
# (substituted from 04/26/2025)"); the adjustments table is the primary source, this only names the rest.
_SUBSTITUTED_MARK = "substituted"


class DayReason(StrEnum):
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    DAY_IN_LIEU = "day_in_lieu"
    SWAP_DAY_OFF = "swap_day_off"
    MAKE_UP_WORKING_DAY = "make_up_working_day"


_FIXED_NAMES: dict[DayReason, tuple[str, str]] = {
    DayReason.WEEKEND: ("Nghỉ cuối tuần", "Weekend"),
    DayReason.SWAP_DAY_OFF: ("Ngày nghỉ hoán đổi", "Day off in a swap of working days"),
    DayReason.MAKE_UP_WORKING_DAY: ("Ngày làm việc bù", "Make-up working day"),
}


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One local date: `office_hours` is empty on a day off; `reason` is None on an ordinary working day."""

    day: date
    working: bool
    reason: DayReason | None
    name_vi: str | None
    name_en: str | None
    office_hours: tuple[OfficePeriod, ...]

    @classmethod
    def ordinary(cls, day: date, office_hours: tuple[OfficePeriod, ...]) -> DayInfo:
        return cls(day, True, None, None, None, office_hours)

    @classmethod
    def make_up_working_day(cls, day: date, office_hours: tuple[OfficePeriod, ...]) -> DayInfo:
        name_vi, name_en = _FIXED_NAMES[DayReason.MAKE_UP_WORKING_DAY]
        return cls(day, True, DayReason.MAKE_UP_WORKING_DAY, name_vi, name_en, office_hours)

    @classmethod
    def off(cls, day: date, reason: DayReason, names: tuple[str, str] | None = None) -> DayInfo:
        name_vi, name_en = names if names is not None else _FIXED_NAMES[reason]
        return cls(day, False, reason, name_vi, name_en, ())


@dataclass(frozen=True, slots=True)
class HolidayNames:
    """The base calendar's days off of one year, with their Vietnamese and English names."""

    vietnamese: dict[date, str]
    english: dict[date, str]
    # The days off the package gives without its observed rules: the statutory days themselves (and swaps).
    statutory: frozenset[date]

    @classmethod
    def of_year(cls, year: int) -> HolidayNames:
        return cls(
            vietnamese=dict(holidays.country_holidays("VN", years=year, language="vi")),
            english=dict(holidays.country_holidays("VN", years=year, language="en_US")),
            statutory=frozenset(holidays.country_holidays("VN", years=year, observed=False)),
        )

    def _names(self, day: date) -> tuple[str, str]:
        return self.vietnamese[day], self.english[day]

    def describe(self, day: date) -> DayInfo | None:
        """A holiday, a day in lieu or a swap the package knows; None when the package has no day off then."""
        if day not in self.vietnamese:
            return None
        if day not in self.statutory:
            return DayInfo.off(day, DayReason.DAY_IN_LIEU, self._names(day))
        if _SUBSTITUTED_MARK in self.english[day].lower():
            return DayInfo.off(day, DayReason.SWAP_DAY_OFF, self._names(day))
        return DayInfo.off(day, DayReason.HOLIDAY, self._names(day))

    def swap_day_off(self, day: date) -> DayInfo:
        """A weekday off from the adjustments table, named as the package names it when it knows the swap."""
        named = day in self.vietnamese and _SUBSTITUTED_MARK in self.english[day].lower()
        return DayInfo.off(day, DayReason.SWAP_DAY_OFF, self._names(day) if named else None)
