"""The bookkeeping rules on their own, without SQL."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from core.calendar import working_calendar
from dossiers.deadlines import DeadlineKind, DeadlineRule
from dossiers.sync.lifecycle import (
    Clock,
    Deadlines,
    LifeState,
    after_apology,
    after_step,
    may_apologise,
    received,
    step_refusal,
)
from dossiers.types import Status
from tests.dossiers.sync.support import RECEIVED, local

DEADLINES = Deadlines(calendar=working_calendar(), same_day_cutoff=time(15, 0))
FRESH = Clock(DeadlineRule(DeadlineKind.WORKING_DAYS, Decimal(3)), resume_after_request=False)
RESUMING = Clock(DeadlineRule(DeadlineKind.WORKING_DAYS, Decimal(3)), resume_after_request=True)
SAME_DAY = Clock(DeadlineRule(DeadlineKind.SAME_DAY, Decimal(0)), resume_after_request=False)


def _steps(state: LifeState, clock: Clock, *steps: tuple[Status, object]) -> LifeState:
    for status, at in steps:
        assert step_refusal(state, status, at) is None  # type: ignore[arg-type]
        state = after_step(state, status, at, clock, DEADLINES)  # type: ignore[arg-type]
    return state


def test_online_dossiers_have_no_clock_until_accepted() -> None:
    state = received(Status.SUBMITTED_ONLINE, RECEIVED, FRESH, DEADLINES)
    assert (state.due_at, state.original_due_at) == (None, None)
    accepted = _steps(state, FRESH, (Status.ACCEPTED, local(2025, 4, 24, 16, 0)))
    # Accepted Thu 16:00: Fri 25/4, Sat 26/4 (worked), Mon 28/4 at 16:00.
    assert accepted.due_at == local(2025, 4, 28, 16, 0)


def test_same_day_after_the_cutoff_is_due_the_next_working_day() -> None:
    state = received(Status.ACCEPTED, local(2025, 4, 25, 15, 30), SAME_DAY, DEADLINES)
    assert state.due_at == local(2025, 4, 26, 17, 30)  # Saturday 26/4/2025 was a working day


def test_a_resuming_procedure_keeps_the_time_left() -> None:
    state = received(Status.ACCEPTED, RECEIVED, RESUMING, DEADLINES)  # due Mon 28/4 09:00
    # Paused Fri 25/4 09:00: 7 office hours that day, 8 on Sat 26/4, 1 on Mon 28/4 are left: 16.
    paused = _steps(
        state,
        RESUMING,
        (Status.IN_PROCESS, local(2025, 4, 24, 10)),
        (Status.MORE_DOCUMENTS, local(2025, 4, 25, 9)),
    )
    assert paused.due_at is None
    assert paused.remaining_seconds == int(timedelta(hours=16).total_seconds())
    # Back on Tue 6/5 08:00 with 16 office hours: two full days, Wed 7/5 at closing.
    resumed = _steps(paused, RESUMING, (Status.IN_PROCESS, local(2025, 5, 6, 8, 0)))
    assert resumed.due_at == local(2025, 5, 7, 17, 30)
    assert resumed.remaining_seconds is None
    assert resumed.paused_at is None


def test_the_second_request_forces_late_and_stopping_while_paused_finishes() -> None:
    state = received(Status.ACCEPTED, RECEIVED, FRESH, DEADLINES)
    state = _steps(
        state,
        FRESH,
        (Status.IN_PROCESS, local(2025, 4, 24, 10)),
        (Status.MORE_DOCUMENTS, local(2025, 4, 24, 11)),
        (Status.IN_PROCESS, local(2025, 4, 25, 9)),
        (Status.MORE_DOCUMENTS, local(2025, 4, 25, 10)),
    )
    assert (state.document_requests, state.forced_late) == (2, True)
    stopped = _steps(state, FRESH, (Status.STOPPED, local(2025, 4, 25, 11)))
    assert stopped.finished_at == local(2025, 4, 25, 11)


def test_returning_keeps_the_finish_time() -> None:
    state = received(Status.ACCEPTED, RECEIVED, FRESH, DEADLINES)
    state = _steps(
        state,
        FRESH,
        (Status.IN_PROCESS, local(2025, 4, 24, 10)),
        (Status.RESULT_READY, local(2025, 4, 25, 10)),
        (Status.RESULT_RETURNED, local(2025, 4, 29, 10)),
    )
    assert (state.finished_at, state.returned_at) == (local(2025, 4, 25, 10), local(2025, 4, 29, 10))


@pytest.mark.parametrize(
    ("status", "minutes", "refusal"),
    [
        (Status.IN_PROCESS, -90, "before_receipt"),
        (Status.IN_PROCESS, 30, "stale"),
        (Status.RESULT_RETURNED, 120, "illegal_transition"),
        (Status.IN_PROCESS, 60, None),
    ],
)
def test_step_refusals(status: Status, minutes: int, refusal: str | None) -> None:
    state = _steps(
        received(Status.ACCEPTED, RECEIVED, FRESH, DEADLINES),
        FRESH,
        (Status.IN_PROCESS, local(2025, 4, 24, 10)),
    )
    assert step_refusal(state, status, RECEIVED + timedelta(minutes=minutes)) == refusal


def test_an_apology_moves_the_date_but_not_the_original() -> None:
    state = received(Status.ACCEPTED, RECEIVED, FRESH, DEADLINES)
    assert not may_apologise(state, DEADLINES, local(2025, 4, 25, 9))
    assert may_apologise(state, DEADLINES, local(2025, 4, 29, 9))
    apologised = after_apology(state, local(2025, 5, 6, 9))
    assert (apologised.due_at, apologised.original_due_at) == (local(2025, 5, 6, 9), local(2025, 4, 28, 9))
    assert apologised.forced_late
    # Finished on time before the letter: no apology is due.
    done = _steps(
        state,
        FRESH,
        (Status.IN_PROCESS, local(2025, 4, 24, 10)),
        (Status.RESULT_READY, local(2025, 4, 25, 9)),
    )
    assert not may_apologise(done, DEADLINES, local(2025, 4, 29, 9))
