"""The Vietnamese working calendar: days, hours, the yearly swap table and its validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import (
    DEFAULT_ADJUSTMENTS_FILE,
    AdjustmentsError,
    CalendarAdjustments,
    WorkingCalendar,
    load_adjustments,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_file()


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def utc_of(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return local(y, m, d, hh, mm).astimezone(UTC)


# -- days ---------------------------------------------------------------------------------------------------


def test_weekdays_work_and_weekends_do_not(cal: WorkingCalendar) -> None:
    week = [date(2025, 3, 3) + timedelta(days=i) for i in range(7)]  # Mon 3 - Sun 9 March 2025, no holiday
    assert [cal.is_working_day(d) for d in week] == [True] * 5 + [False] * 2
    assert cal.next_working_day(date(2025, 3, 7)) == date(2025, 3, 10)


def test_tet_2026_is_skipped(cal: WorkingCalendar) -> None:
    base = holidays.country_holidays("VN", years=2026)
    tet_weekdays = [d for d in base if date(2026, 2, 1) <= d <= date(2026, 2, 28)]
    assert sorted(tet_weekdays) == [date(2026, 2, d) for d in range(16, 21)]  # Mon 16 - Fri 20 February
    assert not any(cal.is_working_day(d) for d in tet_weekdays)
    # Filed on Friday 13 February: one working day later is Monday 23 February at closing time.
    assert cal.add_working_days(local(2026, 2, 13, 10), 1) == utc_of(2026, 2, 23, 17, 30)
    assert cal.add_working_days(local(2026, 2, 12, 10), 3) == utc_of(2026, 2, 24, 17, 30)
    assert cal.add_working_hours(local(2026, 2, 13, 16), 8) == utc_of(2026, 2, 23, 16)


def test_hung_kings_2025(cal: WorkingCalendar) -> None:
    # 10th day of the 3rd lunar month of Ất Tỵ is Monday 7 April 2025.
    assert not cal.is_working_day(date(2025, 4, 7))
    assert cal.next_working_day(date(2025, 4, 4)) == date(2025, 4, 8)
    assert cal.add_working_days(local(2025, 4, 4, 9), 1) == utc_of(2025, 4, 8, 17, 30)


def test_hung_kings_2026_on_a_sunday_gives_the_monday_off(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.next_working_day(date(2026, 4, 24)) == date(2026, 4, 28)


def test_reunification_and_labour_day_2025_with_the_swap(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 4, 26))  # make-up Saturday
    assert not cal.is_working_day(date(2025, 4, 27))  # the Sunday stays off
    for off in (date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)):
        assert not cal.is_working_day(off), off
    assert cal.is_working_day(date(2025, 4, 29))
    assert cal.next_working_day(date(2025, 4, 25)) == date(2025, 4, 26)
    assert cal.next_working_day(date(2025, 4, 29)) == date(2025, 5, 5)
    assert cal.add_working_hours(local(2025, 4, 25, 16), 8) == utc_of(2025, 4, 26, 16)
    assert cal.add_working_hours(local(2025, 4, 29, 16), 8) == utc_of(2025, 5, 5, 16)


def test_the_swap_comes_from_the_table_not_only_from_the_package() -> None:
    bare = WorkingCalendar()
    assert not bare.is_working_day(date(2025, 4, 26))


def test_national_day_and_its_adjacent_day(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2025, 9, 1))
    assert not cal.is_working_day(date(2025, 9, 2))
    assert cal.next_working_day(date(2025, 8, 29)) == date(2025, 9, 3)
    # 2027: 2/9 is a Thursday, the adjacent day off is Friday 3/9.
    assert not cal.is_working_day(date(2027, 9, 2))
    assert not cal.is_working_day(date(2027, 9, 3))
    assert cal.next_working_day(date(2027, 9, 1)) == date(2027, 9, 6)
    # 2026: Monday 31/8 off in exchange for Saturday 22/8.
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)


def test_vietnam_cultural_day_from_2026(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 11, 24))
    assert cal.is_working_day(date(2025, 11, 24))


def test_add_working_days_does_not_count_the_day_of_filing(cal: WorkingCalendar) -> None:
    # Filed on a Saturday, late on a Friday or early on a Friday: the period runs from the next working day.
    assert cal.add_working_days(local(2025, 3, 8, 10), 1) == utc_of(2025, 3, 10, 17, 30)
    assert cal.add_working_days(local(2025, 3, 7, 23), 1) == utc_of(2025, 3, 10, 17, 30)
    assert cal.add_working_days(local(2025, 3, 7, 7), 5) == utc_of(2025, 3, 14, 17, 30)
    # The local date decides: 18:00 UTC on Friday is already Saturday 01:00 in Vietnam.
    assert cal.add_working_days(datetime(2025, 3, 7, 18, tzinfo=UTC), 1) == utc_of(2025, 3, 10, 17, 30)
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(local(2025, 3, 7, 9), 0)


# -- hours --------------------------------------------------------------------------------------------------


def test_eight_hours_from_friday_afternoon_lands_on_monday_afternoon(cal: WorkingCalendar) -> None:
    result = cal.add_working_hours(local(2025, 3, 7, 16), 8)
    assert result == utc_of(2025, 3, 10, 16)
    assert result.tzinfo is UTC


def test_deadline_exactly_at_closing_stays_on_that_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_hours(local(2025, 3, 7, 16), 1.5) == utc_of(2025, 3, 7, 17, 30)
    assert cal.add_working_hours(local(2025, 3, 7, 8), 4) == utc_of(2025, 3, 7, 12)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (local(2025, 3, 5, 20), utc_of(2025, 3, 6, 8)),  # Wednesday evening -> Thursday opening
        (local(2025, 3, 9, 10), utc_of(2025, 3, 10, 8)),  # Sunday -> Monday opening
        (local(2025, 3, 5, 12, 30), utc_of(2025, 3, 5, 13, 30)),  # lunch break
        (local(2025, 3, 5, 17, 30), utc_of(2025, 3, 6, 8)),  # at closing time
        (local(2025, 3, 5, 6), utc_of(2025, 3, 5, 8)),  # before opening
    ],
)
def test_start_outside_office_hours_starts_at_next_opening(
    cal: WorkingCalendar, start: datetime, expected: datetime
) -> None:
    assert cal.next_opening(start) == expected
    assert cal.add_working_hours(start, 0) == expected
    assert cal.add_working_hours(start, 1) == expected + timedelta(hours=1)


def test_urgent_four_hours_across_lunch(cal: WorkingCalendar) -> None:
    assert cal.add_working_hours(local(2025, 3, 5, 10), timedelta(hours=4)) == utc_of(2025, 3, 5, 15, 30)


def test_working_hours_between_skips_the_weekend(cal: WorkingCalendar) -> None:
    assert cal.working_hours_between(local(2025, 3, 8, 0), local(2025, 3, 9, 23, 59)) == timedelta(0)
    assert cal.working_hours_between(local(2025, 3, 7, 16), local(2025, 3, 10, 9)) == timedelta(hours=2.5)
    assert cal.working_hours_between(local(2025, 3, 3), local(2025, 3, 10)) == timedelta(hours=40)
    same = local(2025, 3, 5, 9)
    assert cal.working_hours_between(same, same) == timedelta(0)
    with pytest.raises(ValueError, match="before start"):
        cal.working_hours_between(local(2025, 3, 5, 10), local(2025, 3, 5, 9))


def test_any_input_zone_gives_the_same_result(cal: WorkingCalendar) -> None:
    in_vn = local(2025, 3, 7, 16)
    in_paris = in_vn.astimezone(ZoneInfo("Europe/Paris"))
    assert cal.add_working_hours(in_paris, 8) == cal.add_working_hours(in_vn, 8)


def test_custom_office_hours() -> None:
    summer = WorkingCalendar(office_hours=[(time(7, 0), time(11, 30)), (time(13, 30), time(17, 0))])
    # Friday 16:00-17:00 (1 h) + Monday 07:00-11:30 (4.5 h) + 2.5 h from 13:30.
    assert summer.add_working_hours(local(2025, 3, 7, 16), 8) == utc_of(2025, 3, 10, 16)
    assert summer.add_working_days(local(2025, 3, 7, 9), 1) == utc_of(2025, 3, 10, 17)


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [(time(12), time(8))],
        [(time(8), time(12)), (time(11), time(17))],
        [(time(8, tzinfo=UTC), time(12))],
    ],
)
def test_bad_office_hours_refused(periods: list[tuple[time, time]]) -> None:
    with pytest.raises(ValueError, match="office"):
        WorkingCalendar(office_hours=periods)


def test_naive_datetimes_refused(cal: WorkingCalendar) -> None:
    naive = datetime(2025, 3, 7, 16)
    aware = local(2025, 3, 7, 16)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_hours_between(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_hours_between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_opening(naive)


def test_bad_hours_and_dates_refused(cal: WorkingCalendar) -> None:
    start = local(2025, 3, 7, 9)
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_hours(start, -1)
    with pytest.raises(ValueError, match="finite"):
        cal.add_working_hours(start, float("nan"))
    with pytest.raises(TypeError):
        cal.is_working_day(start)  # a datetime would be read in its own zone


# -- the adjustments table ----------------------------------------------------------------------------------


def test_repo_table_loads_and_holds_the_2025_swap() -> None:
    table = load_adjustments(DEFAULT_ADJUSTMENTS_FILE)
    assert date(2025, 5, 2) in table.days_off
    assert date(2025, 4, 26) in table.working_days


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "adjustments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_ENTRY = "{date: 2025-05-02, reason: bridge}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2025:\n  days_off: [{date: 2025-04-26, reason: a}]\n"
            "  working_days: [{date: 2025-04-26, reason: b}]\n",
            "both as a day off and as worked",
        ),
        ("2025:\n  working_days: [{date: 2025-04-28, reason: a}]\n", "must be a Saturday or Sunday"),
        ("2025:\n  days_off: [{date: 2025-04-27, reason: a}]\n", "only a weekday"),
        ("2025:\n  days_off: [{date: 2025-02-30, reason: a}]\n", "impossible date"),
        ("2025:\n  days_off: [{date: '2025-13-01', reason: a}]\n", "not a valid date"),
        ("2025:\n  days_off: [{date: 2025-05-02 10:00:00, reason: a}]\n", "date and time"),
        ("2025:\n  days_off: [{date: 2025-05-02}]\n", "'date' and 'reason'"),
        ("2025:\n  days_off: [{date: 2025-05-02, reason: '  '}]\n", "non-empty"),
        ("2025:\n  holidays: [" + GOOD_ENTRY + "]\n", "unknown key"),
        ("2025:\n  days_off: " + GOOD_ENTRY + "\n", "must be a list"),
        ("2023:\n  days_off: [" + GOOD_ENTRY + "]\n", "does not belong under year 2023"),
        ("2025:\n  days_off: [" + GOOD_ENTRY + ", " + GOOD_ENTRY + "]\n", "listed twice"),
        ("'2025':\n  days_off: [" + GOOD_ENTRY + "]\n", "not a year"),
        ("- 2025-05-02\n", "top level must be a mapping"),
        ("2025: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_tables_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(AdjustmentsError, match=message) as caught:
        load_adjustments(path)
    assert str(path) in str(caught.value)


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(AdjustmentsError, match="cannot read"):
        load_adjustments(tmp_path / "absent.yaml")


def test_empty_table_is_the_bare_base_calendar(tmp_path: Path) -> None:
    table = load_adjustments(_write(tmp_path, "# nothing announced yet\n"))
    assert table == CalendarAdjustments()


def test_make_up_day_on_a_public_holiday_refused(tmp_path: Path) -> None:
    # Saturday 1 February 2025 is the fourth day of Tết in the base calendar.
    path = _write(tmp_path, "2025:\n  working_days: [{date: 2025-02-01, reason: a}]\n")
    with pytest.raises(AdjustmentsError, match="public holiday"):
        WorkingCalendar.from_file(path)


def test_tables_built_in_code_are_checked_too() -> None:
    with pytest.raises(AdjustmentsError, match="Saturday or Sunday"):
        CalendarAdjustments(working_days={date(2025, 4, 28): "a"})


# -- properties ---------------------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
durations = st.one_of(
    st.integers(min_value=0, max_value=200 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
    st.integers(min_value=0, max_value=200).map(lambda h: timedelta(hours=h)),
)


@settings(deadline=None, max_examples=300)
@given(start=starts, duration=durations)
def test_add_then_measure_round_trips(start: datetime, duration: timedelta) -> None:
    cal = WorkingCalendar.from_file()
    result = cal.add_working_hours(start, duration)
    assert result >= start
    assert cal.working_hours_between(start, result) == duration
    in_vn = result.astimezone(VN)
    assert cal.is_working_day(in_vn.date())
    assert any(opening <= in_vn.time() <= closing for opening, closing in cal.office_hours)


@settings(deadline=None, max_examples=100)
@given(start=starts, days=st.integers(min_value=1, max_value=60))
def test_working_day_deadlines_land_on_working_days(start: datetime, days: int) -> None:
    cal = WorkingCalendar.from_file()
    deadline = cal.add_working_days(start, days)
    assert cal.is_working_day(deadline.astimezone(VN).date())
    assert deadline > start
