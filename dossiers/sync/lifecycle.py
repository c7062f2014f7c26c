"""What a status change or an apology does to a dossier's clock: the bookkeeping rules, as pure functions.

No SQL and no I/O: the sync service loads the dossiers, runs their updates through these functions in time
order and writes the resulting states back.

- The clock starts when the dossier is accepted (status 2): at its receipt for one accepted at the counter,
  at the 1 -> 2 step for one filed online. due_at and original_due_at are set then.
- 5 (more documents): the clock stops (due_at null, paused_at = the step's time); a procedure that resumes
  the remaining time keeps it in remaining_seconds. document_requests grows by one; the second request makes
  the dossier late whatever the dates (forced_late).
- 5 -> 4 (the documents arrived): due_at from dossiers.deadlines.resumed_due, afresh or with the time left.
  The new date is the legal one, not a promise: original_due_at moves with it.
- 3, 7, 8, 9: handling ended, finished_at. 10: the result was handed over, returned_at (finished_at stays that
  of 9).
- An apology: due_at = its new date, original_due_at kept (the on-time figures compare with that one), and
  the dossier counts as late (forced_late), as the rules want of a dossier that needed an apology.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from core.calendar import WorkingCalendar
from dossiers.deadlines import (
    APOLOGY_STATES,
    DeadlineRule,
    OnTime,
    classify,
    due_at,
    remaining_at,
    resumed_due,
)
from dossiers.types import FINISHED, Status, can_move

# An update dated further ahead than this is refused: agencies' clocks drift, but not by more.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The calendar and the settings the deadlines are computed with."""

    calendar: WorkingCalendar
    same_day_cutoff: time


@dataclass(frozen=True, slots=True)
class Clock:
    """A procedure's deadline: its rule, and whether a request for documents resumes the time left."""

    rule: DeadlineRule
    resume_after_request: bool


@dataclass(frozen=True, slots=True)
class LifeState:
    """The status and clock columns of a dossier row."""

    status: Status
    status_at: datetime
    received_at: datetime
    due_at: datetime | None = None
    original_due_at: datetime | None = None
    paused_at: datetime | None = None
    remaining_seconds: int | None = None
    document_requests: int = 0
    forced_late: bool = False
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    next_action: dict[str, Any] | None = None


# The moments and counters of LifeState, as the dossier row's columns of the same names.
LIFE_FIELDS: tuple[str, ...] = (
    "status_at",
    "received_at",
    "due_at",
    "original_due_at",
    "paused_at",
    "remaining_seconds",
    "document_requests",
    "forced_late",
    "finished_at",
    "returned_at",
)


def received(status: Status, received_at: datetime, clock: Clock, deadlines: Deadlines) -> LifeState:
    """A new dossier, as filed online (1: no clock yet) or accepted at the counter (2: the clock runs)."""
    state = LifeState(status=status, status_at=received_at, received_at=received_at)
    if status is Status.ACCEPTED:
        due = due_at(deadlines.calendar, clock.rule, received_at, same_day_cutoff=deadlines.same_day_cutoff)
        state = replace(state, due_at=due, original_due_at=due)
    return state


def step_refusal(state: LifeState, status: Status, at: datetime) -> str | None:
    """Why a step (not already applied) cannot apply: "before_receipt", "stale", "illegal_transition"; None
    when it can. A step at the very moment of the current status is not stale: it follows it."""
    if at < state.received_at:
        return "before_receipt"
    if at < state.status_at:
        return "stale"
    if not can_move(state.status, status):
        return "illegal_transition"
    return None


def after_step(
    state: LifeState,
    status: Status,
    at: datetime,
    clock: Clock,
    deadlines: Deadlines,
    *,
    next_action: dict[str, Any] | None = None,
) -> LifeState:
    """The state after a legal step to `status` at `at` (step_refusal said None)."""
    previous = state.status
    changes: dict[str, Any] = {"status": status, "status_at": at}
    # What the applicant must do lasts while the dossier waits for it.
    changes["next_action"] = next_action if status in (Status.MORE_DOCUMENTS, Status.FEE_DUE) else None
    calendar, cutoff = deadlines.calendar, deadlines.same_day_cutoff
    if previous is Status.SUBMITTED_ONLINE and status is Status.ACCEPTED:
        due = due_at(calendar, clock.rule, at, same_day_cutoff=cutoff)
        changes.update(due_at=due, original_due_at=due)
    elif status is Status.MORE_DOCUMENTS:
        requests = state.document_requests + 1
        remaining = None
        if clock.resume_after_request and state.due_at is not None:
            remaining = int(remaining_at(calendar, clock.rule, state.due_at, at).total_seconds())
        changes.update(
            due_at=None,
            paused_at=at,
            remaining_seconds=remaining,
            document_requests=requests,
            forced_late=state.forced_late or requests >= 2,
        )
    elif previous is Status.MORE_DOCUMENTS and status is Status.IN_PROCESS:
        left = None if state.remaining_seconds is None else timedelta(seconds=state.remaining_seconds)
        if not clock.resume_after_request:
            left = None
        due = resumed_due(calendar, clock.rule, at, remaining=left, same_day_cutoff=cutoff)
        changes.update(due_at=due, original_due_at=due, paused_at=None, remaining_seconds=None)
    if status is Status.RESULT_RETURNED:
        changes["returned_at"] = at
    elif status in FINISHED:
        changes["finished_at"] = at
    return replace(state, **changes)


def on_time_at(state: LifeState, deadlines: Deadlines, now: datetime) -> OnTime | None:
    """Whether the dossier is (or was) on time as of `now`; None while it has no deadline (not accepted yet,
    or its clock stopped for documents) and is not forced late."""
    due = state.due_at
    if due is None:
        return OnTime.OVERDUE if state.forced_late else None
    finished = state.finished_at if state.finished_at is not None and state.finished_at <= now else None
    return classify(deadlines.calendar, due, finished_at=finished, now=now, forced_late=state.forced_late)


def may_apologise(state: LifeState, deadlines: Deadlines, issued_at: datetime) -> bool:
    """An apology is for a dossier late (or certain to be) when it is issued."""
    return on_time_at(state, deadlines, issued_at) in APOLOGY_STATES


def after_apology(state: LifeState, new_due_at: datetime) -> LifeState:
    return replace(state, due_at=new_due_at, forced_late=True)
