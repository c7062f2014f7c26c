"""The on-time state in SQL agrees with dossiers.deadlines.classify on a table of cases.

Local times in Asia/Ho_Chi_Minh. The cases sit on the rule's edges: the due date's day against the finish's
(at 23:30 and 00:30 local, another UTC date than the local one), exactly one working day of office time left,
a closing time, the lunch break, the make-up Saturday of 26/4/2025 and the holidays of 30/4-2/5/2025.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.calendar import LOCAL_ZONE, WorkingCalendar
from dossiers.deadlines import OnTime, classify
from dossiers.figures.clock import clock_at
from dossiers.figures.repository.ontime import state_of
from dossiers.models import Dossier
from tests.support.dossier_rows import make_agency, make_dossier, make_procedure

CAL = WorkingCalendar.from_file()
WARD = "13666"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


# (now, due, finished or None, forced_late, the state both must give)
CASES = [
    # Finished: by local date.
    ("2025-04-28 10:00", "2025-04-24 09:00", "2025-04-23 17:00", False, OnTime.EARLY),
    ("2025-04-28 10:00", "2025-04-24 09:00", "2025-04-24 09:00", False, OnTime.ON_TIME),
    ("2025-04-28 10:00", "2025-04-24 09:00", "2025-04-24 18:00", False, OnTime.ON_TIME),
    ("2025-04-28 10:00", "2025-04-24 08:00", "2025-04-24 23:30", False, OnTime.ON_TIME),
    ("2025-04-28 10:00", "2025-04-24 17:30", "2025-04-25 00:30", False, OnTime.LATE),
    ("2025-04-28 10:00", "2025-04-24 17:30", "2025-04-25 08:00", False, OnTime.LATE),
    ("2025-04-28 10:00", "2025-04-24 09:00", "2025-04-22 09:00", True, OnTime.LATE),
    # Open, now Thu 24/4 10:00: 8 working hours run out on Fri 25/4 at 10:00.
    ("2025-04-24 10:00", "2025-04-23 17:30", None, False, OnTime.OVERDUE),
    ("2025-04-24 10:00", "2025-04-24 09:00", None, False, OnTime.DUE_SOON),
    ("2025-04-24 10:00", "2025-04-24 16:00", None, False, OnTime.DUE_SOON),
    ("2025-04-24 10:00", "2025-04-25 10:00", None, False, OnTime.DUE_SOON),
    ("2025-04-24 10:00", "2025-04-25 10:01", None, False, OnTime.WITHIN_DEADLINE),
    ("2025-04-24 10:00", "2025-04-25 13:00", None, False, OnTime.WITHIN_DEADLINE),
    ("2025-04-24 10:00", "2025-05-20 10:00", None, True, OnTime.OVERDUE),
    ("2025-04-24 23:30", "2025-04-24 17:30", None, False, OnTime.DUE_SOON),
    ("2025-04-25 00:30", "2025-04-24 17:30", None, False, OnTime.OVERDUE),
    # Now Thu 13:30: the hours run out at Friday's noon closing, and the lunch break costs nothing.
    ("2025-04-24 13:30", "2025-04-25 12:00", None, False, OnTime.DUE_SOON),
    ("2025-04-24 13:30", "2025-04-25 13:30", None, False, OnTime.DUE_SOON),
    ("2025-04-24 13:30", "2025-04-25 13:31", None, False, OnTime.WITHIN_DEADLINE),
    # Now Fri 25/4 15:00: Saturday 26/4 was a make-up working day.
    ("2025-04-25 15:00", "2025-04-26 14:00", None, False, OnTime.DUE_SOON),
    ("2025-04-25 15:00", "2025-04-26 15:30", None, False, OnTime.WITHIN_DEADLINE),
    ("2025-04-25 15:00", "2025-04-28 09:00", None, False, OnTime.WITHIN_DEADLINE),
    # Now Tue 29/4 14:00: 30/4, 1/5 and 2/5 were holidays, 3/5 and 4/5 a weekend.
    ("2025-04-29 14:00", "2025-05-05 13:59", None, False, OnTime.DUE_SOON),
    ("2025-04-29 14:00", "2025-05-05 14:01", None, False, OnTime.WITHIN_DEADLINE),
]


@pytest.mark.parametrize(("now", "due", "finished", "forced", "expected"), CASES)
async def test_sql_and_classify_agree(
    units: AsyncSession, now: str, due: str, finished: str | None, forced: bool, expected: OnTime
) -> None:
    session = units
    agency = await make_agency(session, WARD)
    procedure = await make_procedure(session)
    finished_at = at(finished) if finished else None
    dossier = await make_dossier(
        session,
        agency,
        procedure,
        received_at=at("2025-04-01 09:00"),
        due_at=at(due),
        finished_at=finished_at,
        forced_late=forced,
    )
    clock = clock_at(CAL, at(now))
    in_sql = await session.scalar(select(state_of(clock)).where(col(Dossier.id) == dossier.id))
    in_python = classify(CAL, at(due), finished_at=finished_at, now=at(now), forced_late=forced)
    assert in_python is expected
    assert in_sql == expected.value


async def test_the_date_before_an_apology_is_the_one_compared(units: AsyncSession) -> None:
    session = units
    agency, procedure = await make_agency(session, WARD), await make_procedure(session)
    # Finished before the apology's new date but after the original one: late.
    dossier = await make_dossier(
        session,
        agency,
        procedure,
        received_at=at("2025-04-01 09:00"),
        original_due_at=at("2025-04-10 09:00"),
        due_at=at("2025-04-20 09:00"),
        finished_at=at("2025-04-15 09:00"),
    )
    clock = clock_at(CAL, at("2025-04-28 10:00"))
    assert await session.scalar(select(state_of(clock)).where(col(Dossier.id) == dossier.id)) == "late"


async def test_a_stopped_clock_is_within_deadline_unless_forced_late(units: AsyncSession) -> None:
    session = units
    agency, procedure = await make_agency(session, WARD), await make_procedure(session)
    paused: dict[str, Any] = {
        "received_at": at("2025-04-01 09:00"),
        "due_at": None,
        "paused_at": at("2025-04-02 09:00"),
    }
    waiting = await make_dossier(session, agency, procedure, original_due_at=at("2025-04-03 09:00"), **paused)
    forced = await make_dossier(session, agency, procedure, forced_late=True, **paused)
    clock = clock_at(CAL, at("2025-04-28 10:00"))
    states: dict[Any, Any] = dict(
        (
            await session.execute(
                select(col(Dossier.id), state_of(clock)).where(col(Dossier.id).in_([waiting.id, forced.id]))
            )
        ).all()
    )
    assert states == {waiting.id: "within_deadline", forced.id: "overdue"}
