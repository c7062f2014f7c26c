"""Office hours and the same-day cutoff as settings, the calendar built from them, and each day described."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from core.calendar import CalendarAdjustments, DayReason, WorkingCalendar, working_calendar
from core.office_hours import DEFAULT_OFFICE_HOURS, format_office_hours, parse_office_hours
from core.settings import Settings, get_settings


def test_the_default_office_hours() -> None:
    settings = Settings()
    assert settings.office_hours == ((time(8, 0), time(12, 0)), (time(13, 30), time(17, 30)))
    assert settings.dossier_same_day_cutoff == time(15, 0)
    assert format_office_hours(settings.office_hours) == "08:00-12:00,13:30-17:30"


def test_office_hours_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTCITY_OFFICE_HOURS", " 07:30-11:30 , 13:00-17:00 ")
    monkeypatch.setenv("SMARTCITY_DOSSIER_SAME_DAY_CUTOFF", "16:00")
    settings = Settings()
    assert settings.office_hours == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
    assert settings.dossier_same_day_cutoff == time(16, 0)
    calendar = working_calendar(settings)
    assert calendar.office_hours == settings.office_hours
    assert calendar.working_day_length == timedelta(hours=8)
    # One calendar per set of office hours, built once.
    assert working_calendar(settings) is calendar
    assert working_calendar(Settings(office_hours=DEFAULT_OFFICE_HOURS)) is not calendar


def test_without_settings_the_calendar_has_the_process_s_office_hours() -> None:
    assert working_calendar().office_hours == get_settings().office_hours


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8-12", "is not a period HH:MM-HH:MM"),
        ("08:00-12:00;13:30-17:30", "is not a period HH:MM-HH:MM"),
        ("", "is not a period HH:MM-HH:MM"),
        ("08:00-24:00", "is not a period HH:MM-HH:MM"),
        ("08:00-12:00,", "is not a period HH:MM-HH:MM"),
        ("12:00-08:00", "must open before it closes"),
        ("08:00-08:00", "must open before it closes"),
        ("08:00-12:00,11:00-17:00", "must be in order and must not overlap"),
        ("13:30-17:30,08:00-12:00", "must be in order and must not overlap"),
    ],
)
def test_bad_office_hours_refuse_to_start(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("SMARTCITY_OFFICE_HOURS", value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_periods_given_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="must not overlap"):
        Settings(office_hours=((time(8), time(12)), (time(11), time(17))))


@pytest.mark.parametrize("cutoff", ["07:00", "08:00", "17:31", "23:00"])
def test_a_cutoff_outside_the_office_day_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, cutoff: str
) -> None:
    monkeypatch.setenv("SMARTCITY_DOSSIER_SAME_DAY_CUTOFF", cutoff)
    with pytest.raises(ValidationError, match="SMARTCITY_DOSSIER_SAME_DAY_CUTOFF"):
        Settings()


def test_the_cutoff_may_be_the_closing_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTCITY_DOSSIER_SAME_DAY_CUTOFF", "17:30")
    assert Settings().dossier_same_day_cutoff == time(17, 30)


def test_parse_names_the_wrong_part() -> None:
    with pytest.raises(ValueError, match="'13:30-1730'"):
        parse_office_hours("08:00-12:00,13:30-1730")


# -- each day described -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_file()


def test_describe_agrees_with_is_working_day(cal: WorkingCalendar) -> None:
    day = date(2024, 1, 1)
    while day < date(2028, 1, 1):
        info = cal.describe(day)
        assert info.working is cal.is_working_day(day), day
        assert (info.office_hours == cal.office_hours) is info.working, day
        assert (info.reason is None) is (info.working and day.weekday() < 5), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "reason", "name_en"),
    [
        (date(2025, 4, 26), DayReason.MAKE_UP_WORKING_DAY, "Make-up working day"),
        (date(2025, 5, 2), DayReason.SWAP_DAY_OFF, "Day off (substituted from 04/26/2025)"),
        (date(2026, 4, 27), DayReason.DAY_IN_LIEU, "Hung Kings' Commemoration Day (observed)"),
        (date(2026, 4, 26), DayReason.HOLIDAY, "Hung Kings' Commemoration Day"),
        (date(2026, 11, 24), DayReason.HOLIDAY, "Vietnam Cultural Day"),
        (date(2026, 3, 7), DayReason.WEEKEND, "Weekend"),
        (date(2026, 3, 9), None, None),
    ],
)
def test_describe(cal: WorkingCalendar, day: date, reason: DayReason | None, name_en: str | None) -> None:
    info = cal.describe(day)
    assert info.day == day
    assert info.reason is reason
    assert info.name_en == name_en


def test_a_swap_day_the_package_does_not_know_gets_a_plain_name() -> None:
    calendar = WorkingCalendar(
        CalendarAdjustments(
            days_off={date(2026, 1, 2): "bridge"}, working_days={date(2026, 1, 10): "make-up"}
        )
    )
    info = calendar.describe(date(2026, 1, 2))
    assert (info.working, info.reason, info.name_vi) == (False, DayReason.SWAP_DAY_OFF, "Ngày nghỉ hoán đổi")
    assert calendar.describe(date(2026, 1, 10)).reason is DayReason.MAKE_UP_WORKING_DAY


def test_describe_takes_a_date_only(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        cal.describe(datetime(2026, 1, 2, 10, 0))
