"""dossiers.deadlines.classify written as SQL over the dossiers table, for lists and figures.

The same rule, state by state (tests/dossiers/figures/test_agreement.py holds both to a table of cases):
- the due date compared is the one before any apology (`original_due_at`, else `due_at`): an apology's new
  date never makes a dossier on time again, and it sets `forced_late` anyway;
- finished (finished_at set): late when forced_late or finished on a later local date than due; early on an
  earlier local date; on time on the due date itself, at any hour of it;
- open: overdue when forced_late or the due date's local day has passed; due soon when at most one working
  day of office time is left (see dossiers.figures.clock); within deadline otherwise.

Two cases classify never sees, because it is always given a due date: an open dossier whose clock is stopped
for more documents (due_at null) is within deadline unless forced late, and a finished one that never had a
due date is on time unless forced late.

Each state is a predicate on the row (the six are mutually exclusive and cover every row), so a list filters
with them in its WHERE and the figures count with them in FILTER clauses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, and_, case, cast, func, not_, or_
from sqlmodel import col

from core.calendar import LOCAL_ZONE
from dossiers.deadlines import OnTime
from dossiers.figures.clock import OnTimeClock
from dossiers.models import Dossier

# The calendar's zone, as PostgreSQL names it (AT TIME ZONE 'Asia/Ho_Chi_Minh').
ZONE = LOCAL_ZONE.key
ORDER = (
    OnTime.EARLY,
    OnTime.ON_TIME,
    OnTime.LATE,
    OnTime.WITHIN_DEADLINE,
    OnTime.DUE_SOON,
    OnTime.OVERDUE,
)


def local_date(moment: Any) -> Any:
    """The local calendar date of a timestamptz column or expression."""
    return cast(func.timezone(ZONE, moment), Date)


def compared_due() -> Any:
    return func.coalesce(col(Dossier.original_due_at), col(Dossier.due_at))


def state_condition(state: OnTime, clock: OnTimeClock) -> Any:
    """The rows in `state` at the clock's moment."""
    finished = col(Dossier.finished_at).is_not(None)
    forced = col(Dossier.forced_late).is_(True)
    unforced = not_(forced)
    due = compared_due()
    if state in (OnTime.EARLY, OnTime.ON_TIME, OnTime.LATE):
        finished_day, due_day = local_date(col(Dossier.finished_at)), local_date(due)
        if state is OnTime.LATE:
            return and_(finished, or_(forced, and_(due.is_not(None), finished_day > due_day)))
        if state is OnTime.EARLY:
            return and_(finished, unforced, due.is_not(None), finished_day < due_day)
        return and_(finished, unforced, or_(due.is_(None), finished_day == due_day))
    is_open = col(Dossier.finished_at).is_(None)
    running = col(Dossier.due_at).is_not(None)
    if state is OnTime.OVERDUE:
        return and_(is_open, or_(forced, and_(running, due < clock.today_start)))
    if state is OnTime.DUE_SOON:
        return and_(is_open, unforced, running, due >= clock.today_start, due <= clock.due_soon_until)
    return and_(is_open, unforced, or_(not_(running), due > clock.due_soon_until))


def state_of(clock: OnTimeClock) -> Any:
    """The on-time state of each row as text (one of OnTime's values)."""
    return case(*((state_condition(state, clock), state.value) for state in ORDER))
