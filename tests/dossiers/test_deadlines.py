"""Dossier deadlines on the working calendar: every rule of the kinds, pauses, and the on-time states.

The tables name local times in Asia/Ho_Chi_Minh; each case also checks that the answer is in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from core.calendar import LOCAL_ZONE, WorkingCalendar
from dossiers.deadlines import (
    MAX_DAYS,
    MAX_HOURS,
    DeadlineKind,
    DeadlineRule,
    OnTime,
    classify,
    due_at,
    remaining_at,
    resumed_due,
)

CAL = WorkingCalendar.from_file()
CUTOFF = time(15, 0)
WD, WH, CD, SD = (
    DeadlineKind.WORKING_DAYS,
    DeadlineKind.WORKING_HOURS,
    DeadlineKind.CALENDAR_DAYS,
    DeadlineKind.SAME_DAY,
)


def at(text: str) -> datetime:
    """A local moment written "2025-04-24 09:00" (or with seconds)."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


def rule(kind: DeadlineKind, amount: str | int) -> DeadlineRule:
    return DeadlineRule(kind, Decimal(amount))


def due(kind: DeadlineKind, amount: str | int, received: str, *, cutoff: time = CUTOFF) -> datetime:
    result = due_at(CAL, rule(kind, amount), at(received), same_day_cutoff=cutoff)
    assert result.tzinfo is UTC
    return result


# -- due dates ----------------------------------------------------------------------------------------------

DUE_CASES = [
    # The examples.
    ("Sat 26/4/2025 is a make-up working day", WD, 3, "2025-04-24 09:00", "2025-04-28 09:00"),
    ("Hùng Kings 2026 on Sunday, taken Monday 27/4", WD, 1, "2026-04-24 08:00", "2026-04-28 08:00"),
    # Where in the day the dossier arrives.
    ("inside office hours: same clock time", WD, 1, "2025-03-04 10:17", "2025-03-05 10:17"),
    ("last minute before closing", WD, 1, "2025-03-04 17:29", "2025-03-05 17:29"),
    ("before opening: counted from 08:00", WD, 1, "2025-03-04 07:00", "2025-03-05 08:00"),
    ("lunch break: from the afternoon opening", WD, 1, "2025-03-04 12:30", "2025-03-05 13:30"),
    ("at the morning closing: lunch break", WD, 1, "2025-03-04 12:00", "2025-03-05 13:30"),
    ("at closing: from the next opening", WD, 1, "2025-03-04 17:30", "2025-03-06 08:00"),
    ("after closing: from the next opening", WD, 2, "2025-03-04 18:00", "2025-03-07 08:00"),
    ("Saturday: from Monday's opening", WD, 2, "2025-03-08 10:00", "2025-03-12 08:00"),
    ("Friday over the weekend", WD, 1, "2025-03-07 14:00", "2025-03-10 14:00"),
    ("received on the make-up Saturday", WD, 1, "2025-04-26 10:00", "2025-04-28 10:00"),
    ("received on a day in lieu", WD, 1, "2026-04-27 09:00", "2026-04-29 08:00"),
    # Holidays of 2025.
    ("New Year 2025", WD, 1, "2024-12-31 10:00", "2025-01-02 10:00"),
    ("Tết 2025: 27/1-31/1 and Sat 1/2 off", WD, 1, "2025-01-24 10:00", "2025-02-03 10:00"),
    ("Hùng Kings 2025 (Mon 7/4)", WD, 1, "2025-04-04 10:00", "2025-04-08 10:00"),
    ("30/4, 1/5 and the swap day 2/5/2025", WD, 1, "2025-04-29 10:00", "2025-05-05 10:00"),
    ("National Day 2025: 1/9 and 2/9", WD, 1, "2025-08-29 10:00", "2025-09-03 10:00"),
    ("24/11/2025 is still a working day", WD, 1, "2025-11-21 10:00", "2025-11-24 10:00"),
    # Holidays of 2026.
    ("New Year 2026", WD, 1, "2025-12-31 10:00", "2026-01-02 10:00"),
    ("Tết 2026: 16/2-20/2 off", WD, 1, "2026-02-13 10:00", "2026-02-23 10:00"),
    ("30/4 and 1/5/2026", WD, 1, "2026-04-29 10:00", "2026-05-04 10:00"),
    ("Sat 22/8/2026 is a make-up working day", WD, 1, "2026-08-21 10:00", "2026-08-22 10:00"),
    ("31/8 swap and National Day 2026", WD, 2, "2026-08-28 10:00", "2026-09-04 10:00"),
    ("Vietnam Cultural Day 24/11/2026", WD, 1, "2026-11-23 10:00", "2026-11-25 10:00"),
    # Working hours: inside office hours only.
    ("hours within the morning", WH, 2, "2025-03-04 08:30", "2025-03-04 10:30"),
    ("hours across the lunch break", WH, 2, "2025-03-04 11:00", "2025-03-04 14:30"),
    ("hours ending at closing stay at closing", WH, "1.5", "2025-03-04 16:00", "2025-03-04 17:30"),
    ("a full day from opening ends at closing", WH, 8, "2025-03-04 08:00", "2025-03-04 17:30"),
    ("fractional hours from the lunch break", WH, "0.25", "2025-03-04 12:15", "2025-03-04 13:45"),
    ("after closing: from the next opening", WH, 8, "2025-03-04 18:00", "2025-03-05 17:30"),
    ("fractional hours over a day in lieu", WH, "4.5", "2026-04-24 15:00", "2026-04-28 10:00"),
    ("hours over the weekend", WH, 3, "2025-03-08 10:00", "2025-03-10 11:00"),
    ("the make-up Saturday counts", WH, 24, "2025-04-24 08:00", "2025-04-26 17:30"),
    # Calendar days: every day counts, a due date on a day off moves to the next working day.
    ("calendar days on working days", CD, 3, "2025-03-04 10:00", "2025-03-07 10:00"),
    ("due on a Saturday moves to Monday", CD, 4, "2025-03-04 10:00", "2025-03-10 10:00"),
    ("due on the make-up Saturday stays", CD, 1, "2025-04-25 10:00", "2025-04-26 10:00"),
    ("due on Labour Day 2026 moves to Monday", CD, 7, "2026-04-24 15:00", "2026-05-04 15:00"),
    ("due in Tết 2026 moves after it", CD, 10, "2026-02-06 10:00", "2026-02-23 10:00"),
    ("due on 24/11/2026 moves a day", CD, 8, "2026-11-16 10:00", "2026-11-25 10:00"),
    ("received after closing: from the next opening", CD, 2, "2025-03-04 19:00", "2025-03-07 08:00"),
    ("received in the lunch break", CD, 1, "2025-03-04 12:30", "2025-03-05 13:30"),
    # Same day: today's closing, or the next working day's after the cutoff.
    ("same day in the morning", SD, 0, "2025-03-04 09:00", "2025-03-04 17:30"),
    ("same day before opening", SD, 0, "2025-03-04 07:00", "2025-03-04 17:30"),
    ("same day in the lunch break", SD, 0, "2025-03-04 12:30", "2025-03-04 17:30"),
    ("same day, a second before the cutoff", SD, 0, "2025-03-04 14:59:59", "2025-03-04 17:30"),
    ("same day at the cutoff: next day", SD, 0, "2025-03-04 15:00", "2025-03-05 17:30"),
    ("same day after the cutoff: next day", SD, 0, "2025-03-04 16:00", "2025-03-05 17:30"),
    ("same day after closing: next day", SD, 0, "2025-03-04 18:00", "2025-03-05 17:30"),
    ("same day on Saturday: Monday", SD, 0, "2025-03-08 10:00", "2025-03-10 17:30"),
    ("same day late on Friday: make-up Saturday", SD, 0, "2025-04-25 16:00", "2025-04-26 17:30"),
    ("same day on 30/4/2025: after the bridge", SD, 0, "2025-04-30 10:00", "2025-05-05 17:30"),
]


@pytest.mark.parametrize(
    ("kind", "amount", "received", "expected"),
    [case[1:] for case in DUE_CASES],
    ids=[case[0] for case in DUE_CASES],
)
def test_due_at(kind: DeadlineKind, amount: str | int, received: str, expected: str) -> None:
    assert due(kind, amount, received) == at(expected)


def test_the_same_day_cutoff_is_a_parameter() -> None:
    assert due(SD, 0, "2025-03-04 15:30", cutoff=time(16, 0)) == at("2025-03-04 17:30")
    assert due(SD, 0, "2025-03-04 15:30", cutoff=time(15, 30)) == at("2025-03-05 17:30")


def test_a_receipt_in_another_zone_is_read_in_vietnam() -> None:
    # 02:00 UTC is 09:00 in Hanoi.
    received = datetime(2025, 4, 24, 2, 0, tzinfo=UTC)
    assert due_at(CAL, rule(WD, 3), received, same_day_cutoff=CUTOFF) == at("2025-04-28 09:00")


def test_other_office_hours_move_the_clock() -> None:
    calendar = WorkingCalendar.from_file(
        office_hours=((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
    )
    assert due_at(calendar, rule(WD, 1), at("2025-03-04 11:45"), same_day_cutoff=CUTOFF) == at(
        "2025-03-05 13:00"
    )
    assert due_at(calendar, rule(SD, 0), at("2025-03-04 09:00"), same_day_cutoff=CUTOFF) == at(
        "2025-03-04 17:00"
    )
    assert due_at(calendar, rule(WH, 4), at("2025-03-04 07:00"), same_day_cutoff=CUTOFF) == at(
        "2025-03-04 11:30"
    )


@pytest.mark.parametrize(
    ("received", "cutoff", "error"),
    [
        (datetime(2025, 3, 4, 9, 0), CUTOFF, ValueError),  # naive
        (at("2025-03-04 09:00"), time(15, 0, tzinfo=LOCAL_ZONE), ValueError),
    ],
    ids=["naive receipt", "cutoff with a zone"],
)
def test_due_at_refuses_ambiguous_times(received: datetime, cutoff: time, error: type[Exception]) -> None:
    with pytest.raises(error):
        due_at(CAL, rule(WD, 1), received, same_day_cutoff=cutoff)


# -- the rule itself ----------------------------------------------------------------------------------------

BAD_RULES: list[tuple[str, object, object, type[Exception]]] = [
    ("zero working days", WD, Decimal(0), ValueError),
    ("negative days", WD, Decimal(-1), ValueError),
    ("half a working day", WD, Decimal("1.5"), ValueError),
    ("half a calendar day", CD, Decimal("2.5"), ValueError),
    ("zero hours", WH, Decimal(0), ValueError),
    ("not whole minutes", WH, Decimal("0.01"), ValueError),
    ("same day with an amount", SD, Decimal(1), ValueError),
    ("same day with half", SD, Decimal("0.5"), ValueError),
    ("too many days", WD, Decimal(MAX_DAYS + 1), ValueError),
    ("too many calendar days", CD, Decimal(MAX_DAYS + 1), ValueError),
    ("too many hours", WH, MAX_HOURS + 1, ValueError),
    ("not a number", WD, Decimal("NaN"), ValueError),
    ("infinite", WH, Decimal("Infinity"), ValueError),
    ("unknown kind", "weeks", Decimal(1), ValueError),
    ("a float", WH, 4.5, TypeError),
    ("a bool", WD, True, TypeError),
    ("a text amount", WD, "3", TypeError),
]


@pytest.mark.parametrize(
    ("kind", "amount", "error"), [case[1:] for case in BAD_RULES], ids=[case[0] for case in BAD_RULES]
)
def test_bad_rules_are_refused(kind: object, amount: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        DeadlineRule(kind, amount)  # type: ignore[arg-type]


def test_rules_are_normalised() -> None:
    text_kind = DeadlineRule("working_hours", Decimal("4.5"))  # type: ignore[arg-type]
    assert text_kind.kind is DeadlineKind.WORKING_HOURS
    whole = DeadlineRule(WD, 3)  # type: ignore[arg-type]
    assert whole.amount == Decimal(3) and isinstance(whole.amount, Decimal)
    assert DeadlineRule(SD, Decimal("0.00")).amount == 0
    assert DeadlineRule(WD, Decimal(MAX_DAYS)).amount == MAX_DAYS
    assert DeadlineRule(WH, MAX_HOURS).amount == MAX_HOURS


# -- a request for more documents ---------------------------------------------------------------------------

# Received Thu 2025-04-24 09:00, 3 working days: due Mon 2025-04-28 09:00.
THREE_DAYS = rule(WD, 3)
THREE_DAYS_DUE = at("2025-04-28 09:00")


@pytest.mark.parametrize(
    ("kind", "amount", "due_local", "paused", "left"),
    [
        # Fri 9:00-17:30 is 7 h, the make-up Saturday 8 h, Monday 8:00-9:00 1 h.
        (WD, 3, "2025-04-28 09:00", "2025-04-25 09:00", timedelta(hours=16)),
        (WD, 3, "2025-04-28 09:00", "2025-04-28 08:30", timedelta(minutes=30)),
        (WD, 3, "2025-04-28 09:00", "2025-04-28 09:00", timedelta(0)),
        (WD, 3, "2025-04-28 09:00", "2025-04-29 10:00", timedelta(0)),
        (WH, 4, "2025-03-04 14:30", "2025-03-04 11:00", timedelta(hours=2)),
        (SD, 0, "2025-03-04 17:30", "2025-03-04 15:30", timedelta(hours=2)),
        # Calendar days: wall time, nights and weekends included.
        (CD, 10, "2025-03-14 10:00", "2025-03-06 10:00", timedelta(days=8)),
        (CD, 10, "2025-03-14 10:00", "2025-03-15 10:00", timedelta(0)),
    ],
    ids=[
        "working days over a make-up Saturday",
        "half an hour before due",
        "paused exactly at due",
        "paused when overdue",
        "working hours over lunch",
        "same day after the cutoff",
        "calendar days in wall time",
        "calendar days when overdue",
    ],
)
def test_remaining_at(kind: DeadlineKind, amount: int, due_local: str, paused: str, left: timedelta) -> None:
    assert remaining_at(CAL, rule(kind, amount), at(due_local), at(paused)) == left


@pytest.mark.parametrize(
    ("kind", "amount", "resumed", "left", "expected"),
    [
        # Afresh (the default): counted again in full from the resumption.
        (WD, 3, "2025-05-06 10:00", None, "2025-05-09 10:00"),
        (WD, 1, "2025-05-06 18:00", None, "2025-05-08 08:00"),
        (SD, 0, "2025-05-06 16:00", None, "2025-05-07 17:30"),
        # Resuming the remaining time (a per-procedure setting).
        (WD, 3, "2025-05-06 10:00", timedelta(hours=16), "2025-05-08 10:00"),
        (WD, 3, "2025-05-10 10:00", timedelta(hours=16), "2025-05-13 17:30"),
        (WH, 4, "2025-03-05 11:00", timedelta(hours=2), "2025-03-05 14:30"),
        (SD, 0, "2025-03-05 16:30", timedelta(hours=2), "2025-03-06 09:00"),
        (CD, 10, "2025-03-07 14:00", timedelta(days=8), "2025-03-17 14:00"),
        (CD, 10, "2025-03-04 10:00", timedelta(days=2), "2025-03-06 10:00"),
        # Nothing left: due at the next opening.
        (WD, 3, "2025-05-10 10:00", timedelta(0), "2025-05-12 08:00"),
    ],
    ids=[
        "afresh",
        "afresh after closing",
        "afresh same day after the cutoff",
        "remaining working time",
        "remaining from a Saturday",
        "remaining hours over lunch",
        "remaining same-day hours",
        "remaining wall time onto a Saturday moves to Monday",
        "remaining wall time",
        "nothing remaining",
    ],
)
def test_resumed_due(
    kind: DeadlineKind, amount: int, resumed: str, left: timedelta | None, expected: str
) -> None:
    result = resumed_due(CAL, rule(kind, amount), at(resumed), remaining=left, same_day_cutoff=CUTOFF)
    assert result == at(expected)
    assert result.tzinfo is UTC


def test_pause_then_resume_both_ways() -> None:
    paused, resumed = at("2025-04-25 09:00"), at("2025-05-06 10:00")
    left = remaining_at(CAL, THREE_DAYS, THREE_DAYS_DUE, paused)
    kept = resumed_due(CAL, THREE_DAYS, resumed, remaining=left, same_day_cutoff=CUTOFF)
    afresh = resumed_due(CAL, THREE_DAYS, resumed, remaining=None, same_day_cutoff=CUTOFF)
    assert kept == at("2025-05-08 10:00")
    assert afresh == due_at(CAL, THREE_DAYS, resumed, same_day_cutoff=CUTOFF) == at("2025-05-09 10:00")
    # What was left before the pause is left after the resumption.
    assert CAL.working_hours_between(resumed, kept) == left


def test_negative_remaining_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        resumed_due(
            CAL, THREE_DAYS, at("2025-05-06 10:00"), remaining=timedelta(hours=-1), same_day_cutoff=CUTOFF
        )


# -- on time or not -----------------------------------------------------------------------------------------

FINISHED_CASES = [
    ("days before the due date", "2025-04-25 16:00", False, OnTime.EARLY),
    ("the first second of the due date", "2025-04-28 00:00", False, OnTime.ON_TIME),
    ("exactly at due", "2025-04-28 09:00", False, OnTime.ON_TIME),
    ("after the due time, on the due date", "2025-04-28 17:00", False, OnTime.ON_TIME),
    ("the last second of the due date", "2025-04-28 23:59:59", False, OnTime.ON_TIME),
    ("the next day", "2025-04-29 00:00", False, OnTime.LATE),
    ("early but a second request for documents", "2025-04-25 16:00", True, OnTime.LATE),
    ("on time but a second request for documents", "2025-04-28 09:00", True, OnTime.LATE),
]


@pytest.mark.parametrize(
    ("finished", "forced", "expected"),
    [case[1:] for case in FINISHED_CASES],
    ids=[case[0] for case in FINISHED_CASES],
)
def test_classify_finished(finished: str, forced: bool, expected: OnTime) -> None:
    now = at("2025-06-01 10:00")
    assert classify(CAL, THREE_DAYS_DUE, finished_at=at(finished), now=now, forced_late=forced) is expected


def test_finished_dates_are_local_dates() -> None:
    # 17:30 UTC on the 28th is 00:30 on the 29th in Hanoi: late, though the UTC date is the due date.
    finished = datetime(2025, 4, 28, 17, 30, tzinfo=UTC)
    assert classify(CAL, THREE_DAYS_DUE, finished_at=finished, now=finished) is OnTime.LATE


OPEN_CASES = [
    ("far ahead", "2025-04-22 10:00", False, OnTime.WITHIN_DEADLINE),
    # Friday 18:00 to Monday 09:00: the make-up Saturday (8 h) and Monday's first hour.
    ("a working day and an hour left", "2025-04-25 18:00", False, OnTime.WITHIN_DEADLINE),
    ("a minute more than a working day left", "2025-04-26 08:59", False, OnTime.WITHIN_DEADLINE),
    ("exactly a working day left", "2025-04-26 09:00", False, OnTime.DUE_SOON),
    ("an hour left", "2025-04-28 08:00", False, OnTime.DUE_SOON),
    ("exactly at due", "2025-04-28 09:00", False, OnTime.DUE_SOON),
    ("past the due time, on the due date", "2025-04-28 16:00", False, OnTime.DUE_SOON),
    ("the last second of the due date", "2025-04-28 23:59:59", False, OnTime.DUE_SOON),
    ("the next day", "2025-04-29 00:00", False, OnTime.OVERDUE),
    ("a second request for documents", "2025-04-22 10:00", True, OnTime.OVERDUE),
]


@pytest.mark.parametrize(
    ("now", "forced", "expected"), [case[1:] for case in OPEN_CASES], ids=[case[0] for case in OPEN_CASES]
)
def test_classify_open(now: str, forced: bool, expected: OnTime) -> None:
    assert classify(CAL, THREE_DAYS_DUE, finished_at=None, now=at(now), forced_late=forced) is expected


def test_classify_refuses_naive_times() -> None:
    naive = datetime(2025, 4, 28, 9, 0)
    with pytest.raises(ValueError):
        classify(CAL, THREE_DAYS_DUE, finished_at=None, now=naive)
    with pytest.raises(ValueError):
        classify(CAL, THREE_DAYS_DUE, finished_at=naive, now=at("2025-04-28 09:00"))
