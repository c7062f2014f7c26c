"""When a dossier is due, what a request for more documents does to its clock, and whether it is on time.

Pure functions on the working calendar (core.calendar): no SQL, no I/O. Every moment goes in timezone-aware
and comes out in UTC; days, clock times and dates are those of the calendar's zone (Asia/Ho_Chi_Minh).

Receipt. A dossier received while the office is open starts its clock at once. One received after closing,
on a day off, or before opening starts at the next opening; during the lunch break, at the afternoon opening.
This holds for every kind but same-day, as the one-stop offices take an online filing made out of hours as
received when they next open. So the start of a clock is always inside office hours.

Kinds (the procedure catalogue's deadline):
- working_days N: the same clock time as the start, N working days later. That time is inside office hours
  on the due day too, because every working day has the same office hours (a setting, `office_hours`): a
  start at 09:00 is due at 09:00, a start at 13:30 (after the lunch break) at 13:30.
- working_hours H: H hours of office time from the start; nights, lunch breaks and days off do not count.
  When the hours run out exactly at a closing time, that closing time is the due moment.
- calendar_days N: N days of 24 hours from the start; when the due date is a day off, the next working day
  at the same clock time.
- same_day: that day's closing, or the next working day's closing when received at or after the cutoff (a
  setting, `dossier_same_day_cutoff`, 15:00 by default), after closing, or on a day off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from core.calendar import WorkingCalendar, require_aware

# Sanity bounds on a catalogue's deadline: a year of days, a year of office hours. Above that the figure is a
# typo, and refusing it also keeps every computation here short.
MAX_DAYS = 365
MAX_HOURS = Decimal(365 * 8)
_MINUTES_PER_HOUR = 60
_MICROSECONDS_PER_HOUR = 3_600_000_000


class DeadlineKind(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_DAY = "same_day"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A procedure's deadline: `amount` days or hours of `kind`, 0 for same_day.

    Days are whole numbers from 1 to MAX_DAYS; working hours are positive, whole minutes (4.5, 0.25), at most
    MAX_HOURS. A kind given as its text ("working_days") and an int amount are accepted and normalised;
    anything else raises ValueError (or TypeError for a float, which cannot hold 0.1 exactly).
    """

    kind: DeadlineKind
    amount: Decimal

    def __post_init__(self) -> None:
        kind = DeadlineKind(self.kind)
        raw: object = self.amount
        if isinstance(raw, bool) or not isinstance(raw, Decimal | int):
            raise TypeError(f"a deadline's amount must be a Decimal or an int, got {type(raw).__name__}")
        amount = Decimal(raw)
        if not amount.is_finite():
            raise ValueError(f"a deadline's amount must be a finite number, got {amount}")
        if kind is DeadlineKind.SAME_DAY:
            if amount != 0:
                raise ValueError(f"a same_day deadline has amount 0, got {amount}")
        elif amount <= 0:
            raise ValueError(f"a {kind} deadline needs an amount above 0, got {amount}")
        elif kind is DeadlineKind.WORKING_HOURS:
            if amount > MAX_HOURS:
                raise ValueError(f"a working_hours deadline is at most {MAX_HOURS} hours, got {amount}")
            if amount * _MINUTES_PER_HOUR != (amount * _MINUTES_PER_HOUR).to_integral_value():
                raise ValueError(f"a working_hours deadline is a whole number of minutes, got {amount} hours")
        else:
            if amount != amount.to_integral_value():
                raise ValueError(f"a {kind} deadline is a whole number of days, got {amount}")
            if amount > MAX_DAYS:
                raise ValueError(f"a {kind} deadline is at most {MAX_DAYS} days, got {amount}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "amount", amount)

    @property
    def counts_working_time(self) -> bool:
        """Whether the clock runs in office time only (every kind but calendar days)."""
        return self.kind is not DeadlineKind.CALENDAR_DAYS


def _hours(amount: Decimal) -> timedelta:
    return timedelta(microseconds=int(amount * _MICROSECONDS_PER_HOUR))


def _at(calendar: WorkingCalendar, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=calendar.zone).astimezone(UTC)


def _on_working_day(calendar: WorkingCalendar, moment: datetime) -> datetime:
    """`moment` (UTC), or the next working day at the same clock time when its date is a day off."""
    local = moment.astimezone(calendar.zone)
    if calendar.is_working_day(local.date()):
        return moment.astimezone(UTC)
    return _at(calendar, calendar.next_working_day(local.date()), local.time())


def _require_cutoff(same_day_cutoff: time) -> None:
    if same_day_cutoff.tzinfo is not None:
        raise ValueError("same_day_cutoff is a local wall-clock time and must be naive")


def _same_day_due(calendar: WorkingCalendar, received_at: datetime, cutoff: time) -> datetime:
    local = received_at.astimezone(calendar.zone)
    closing = calendar.office_hours[-1][1]
    day = local.date()
    in_time = local.time() < cutoff and local.time() < closing
    if not (calendar.is_working_day(day) and in_time):
        day = calendar.next_working_day(day)
    return _at(calendar, day, closing)


def due_at(
    calendar: WorkingCalendar, rule: DeadlineRule, received_at: datetime, *, same_day_cutoff: time
) -> datetime:
    """The moment (UTC) a dossier received at `received_at` is due under `rule` (see the module's rules).

    Thu 2025-04-24 09:00 + 3 working days is Mon 2025-04-28 09:00 (Sat 26/4/2025 was worked); Fri 2026-04-24
    08:00 + 1 working day is Tue 2026-04-28 08:00 (Hùng Kings' day, Sun 26/4, was taken on Mon 27/4).
    """
    require_aware(received_at, "received_at")
    _require_cutoff(same_day_cutoff)
    if rule.kind is DeadlineKind.SAME_DAY:
        return _same_day_due(calendar, received_at, same_day_cutoff)
    start = calendar.next_opening(received_at)
    if rule.kind is DeadlineKind.WORKING_HOURS:
        return calendar.add_working_hours(start, _hours(rule.amount))
    local = start.astimezone(calendar.zone)
    if rule.kind is DeadlineKind.CALENDAR_DAYS:
        return _on_working_day(calendar, local + timedelta(days=int(rule.amount)))
    day = local.date()
    for _ in range(int(rule.amount)):
        day = calendar.next_working_day(day)
    return _at(calendar, day, local.time())


# -- a request for more documents -----------------------------------------------------------------------


def remaining_at(
    calendar: WorkingCalendar, rule: DeadlineRule, due: datetime, paused_at: datetime
) -> timedelta:
    """The time left when the clock stops at `paused_at`: office time for the working kinds (working days,
    working hours, same-day), wall time for calendar days; zero when the dossier is already past `due`."""
    require_aware(due, "due")
    require_aware(paused_at, "paused_at")
    if paused_at >= due:
        return timedelta(0)
    if rule.counts_working_time:
        return calendar.working_hours_between(paused_at, due)
    return due - paused_at


def resumed_due(
    calendar: WorkingCalendar,
    rule: DeadlineRule,
    resumed_at: datetime,
    *,
    remaining: timedelta | None,
    same_day_cutoff: time,
) -> datetime:
    """The new due moment (UTC) when the documents arrive at `resumed_at`.

    `remaining` None (the default of a procedure): the deadline runs afresh, as if received at `resumed_at`.
    Otherwise (a procedure set to resume) `remaining`, from `remaining_at`, is added from the next opening:
    as office time for the working kinds, as wall time for calendar days (a due date on a day off then moves
    to the next working day at the same clock time). A zero `remaining` (paused when already overdue) makes
    the dossier due at that opening; a late dossier stays late by its date in `classify`.
    """
    require_aware(resumed_at, "resumed_at")
    if remaining is None:
        return due_at(calendar, rule, resumed_at, same_day_cutoff=same_day_cutoff)
    _require_cutoff(same_day_cutoff)
    if remaining < timedelta(0):
        raise ValueError(f"remaining time must not be negative, got {remaining}")
    start = calendar.next_opening(resumed_at)
    if rule.counts_working_time:
        return calendar.add_working_hours(start, remaining)
    return _on_working_day(calendar, start + remaining)


# -- on time or not --------------------------------------------------------------------------------------


class OnTime(StrEnum):
    # Finished (result ready, returned, refused...): compared by date with the due date.
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    # Still open.
    WITHIN_DEADLINE = "within_deadline"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


# When a letter of apology may be attached, by the agency's system or by an officer: once the dossier is
# late, and already when it is due soon, since the rules ask for the letter at the latest a working day
# before the due date once the office knows it cannot be ready in time.
APOLOGY_STATES: frozenset[OnTime] = frozenset({OnTime.LATE, OnTime.OVERDUE, OnTime.DUE_SOON})


def classify(
    calendar: WorkingCalendar,
    due: datetime,
    *,
    finished_at: datetime | None,
    now: datetime,
    forced_late: bool = False,
) -> OnTime:
    """Whether a dossier due at `due` was (finished_at given) or is (open, at `now`) on time.

    Finished ones are compared by local date, as the province counts them: finished before the due date is
    early, on the due date (at any time of that day, even after the due clock time) on time, after it late.

    Open ones follow the same dates, so that an open dossier is overdue exactly when finishing it now would be
    late: overdue once the due date has passed (from 00:00 the next day); due soon when at most one working
    day of office time is left before `due` (the length of the office day: 8 working hours with the default
    office hours; exactly one day left counts as due soon), and also for the rest of the due date once the
    due clock time has passed; within deadline otherwise.

    `forced_late` (a second request for more documents): a finished dossier is late whatever its date, and
    an open one is overdue at once: it can no longer finish on time, so the on-time figures (which count open
    dossiers within deadline as on time) must not count it so. An apology with a new date changes neither:
    the caller keeps comparing with the original due and the dossier still counts as late.
    """
    require_aware(due, "due")
    require_aware(now, "now")
    due_date = due.astimezone(calendar.zone).date()
    if finished_at is not None:
        require_aware(finished_at, "finished_at")
        finished_date = finished_at.astimezone(calendar.zone).date()
        if forced_late or finished_date > due_date:
            return OnTime.LATE
        return OnTime.EARLY if finished_date < due_date else OnTime.ON_TIME
    if forced_late or now.astimezone(calendar.zone).date() > due_date:
        return OnTime.OVERDUE
    if now >= due or calendar.working_hours_between(now, due) <= calendar.working_day_length:
        return OnTime.DUE_SOON
    return OnTime.WITHIN_DEADLINE
