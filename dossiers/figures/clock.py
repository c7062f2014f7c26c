"""The moments that sort open dossiers into within deadline, due soon and overdue, for a query at `now`.

dossiers.deadlines.classify decides one dossier at a time; the lists and the figures decide thousands in one
statement, so the calendar work is done here once and the statement only compares due dates with three
moments:
- overdue: the due date's local day has passed, i.e. due before today's local midnight;
- due soon: at most one working day of office time left before due (or the due clock time already passed
  today). Office time up to `due` grows with `due` and stands still outside office hours, so "at most one
  working day left" is exactly "due no later than `due_soon_until`": the moment one working day of office
  time after `now` is used up, carried to the next opening when it falls at a closing time;
- within deadline: later than that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from core.calendar import WorkingCalendar


@dataclass(frozen=True, slots=True)
class OnTimeClock:
    now: datetime
    # Local midnight of now's date, in UTC: an open dossier due before it is overdue.
    today_start: datetime
    # An open dossier due no later than this (and not overdue) is due soon.
    due_soon_until: datetime


def clock_at(calendar: WorkingCalendar, now: datetime) -> OnTimeClock:
    local = now.astimezone(calendar.zone)
    today_start = datetime.combine(local.date(), time(0, 0), tzinfo=calendar.zone).astimezone(UTC)
    used_up = calendar.add_working_hours(now, calendar.working_day_length)
    return OnTimeClock(
        now=now.astimezone(UTC),
        today_start=today_start,
        due_soon_until=calendar.next_opening(used_up),
    )
