"""The dossiers and timeline steps of the dossier benchmark, generated day by day and written by binary COPY.

Receipts spread over the last two years (fewer on Saturdays, a few online on Sundays), to ten agencies (three
departments of the province, the people's committees of the eight demo wards) on the procedures of their
level. A dossier's status follows its age: those of the last OPEN_DAYS days are in every state, older ones
nearly all finished (a few results still waiting to be collected). Steps are spread over the time the
procedure's deadline allows, a sixth of dossiers running past it; hand-overs between offices (4 -> 4) fill the
timeline up to the number of steps asked for. Every applicant has a phone, seven in ten an ID number, kept
as the sync keeps them (dossiers.keys).

Each day is generated from a random generator seeded with its index, so the two passes (dossiers, then their
steps, whose foreign key needs the dossiers first) see the same data without holding it in memory.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from itertools import accumulate
from typing import Any

import asyncpg

from core.calendar import LOCAL_ZONE, WorkingCalendar
from core.settings import Settings
from dossiers.deadlines import DeadlineRule, due_at
from dossiers.keys import id_hash, suffix_hash

DAYS = 730
OPEN_DAYS = 60
# Steps end this long before the run starts, so that the sync's updates (dated just before it) are newer.
QUIET = timedelta(hours=1)
DOSSIER_COLUMNS = (
    "id", "code", "agency_id", "procedure_id", "unit_code", "channel", "status", "status_at",
    "applicant_name", "applicant_phone", "applicant_id_hash", "id_suffix_hash", "sms_opt_in", "received_at",
    "due_at", "original_due_at", "paused_at", "document_requests", "forced_late", "finished_at",
    "returned_at", "next_action", "fee_vnd", "created_at", "updated_at",
)  # fmt: skip
STEP_COLUMNS = (
    "id", "dossier_id", "status", "previous_status", "at", "unit_name", "officer_name", "comment", "public",
    "created_at",
)  # fmt: skip
SAMPLE_SIZE = 100_000

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
_MIDDLE = ("Thị", "Văn", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Kim")
_GIVEN = ("Lan", "Hùng", "Mai", "Tuấn", "Hương", "Dũng", "Linh", "Nam", "Hà", "Phong", "Trang", "Sơn")
UNITS = ("Bộ phận Một cửa", "Phòng chuyên môn", "Lãnh đạo đơn vị", "Văn thư", "Phòng Hộ tịch")
OFFICERS = ("Trần Thu Hà", "Lê Minh Đức", "Phạm Ngọc Anh", "Vũ Quang Huy", "Đỗ Thị Hoa")
# Receipts at the counter: the hours of office hours; online: any hour.
_COUNTER_SLOTS = tuple(clock(h) for h in (7, 8, 9, 10, 13, 14, 15, 16))
_ANY_SLOTS = tuple(clock(h) for h in range(24))
# The status a dossier has reached, by age; 1 and 3 only for those filed online.
_RECENT = ((1, 3), (2, 8), (3, 2), (4, 34), (5, 8), (6, 5), (7, 3), (8, 2), (9, 15), (10, 20))
_OLD = ((3, 2), (7, 4), (8, 3), (9, 3), (10, 88))
_MORE_DOCUMENTS = json.dumps(
    {"documents": [{"name_vi": "Bản sao giấy tờ tùy thân", "copies": 1}], "note_vi": "Bổ sung bản chính"}
)
_FEE_DUE = json.dumps({"fee_vnd": 50_000, "note_vi": "Nộp lệ phí tại quầy hoặc trực tuyến"})


@dataclass(frozen=True, slots=True)
class AgencyRow:
    id: uuid.UUID
    code: str
    unit_code: str
    level: str


@dataclass(frozen=True, slots=True)
class ProcedureRow:
    id: uuid.UUID
    rule: DeadlineRule
    fee_vnd: int | None


@dataclass(slots=True)
class Filled:
    """What the run needs besides the tables: dossiers to look up, and those the sync can move on."""

    dossiers: int = 0
    steps: int = 0
    # (code, last 4 of the phone, last 4 of the ID number or None)
    lookups: list[tuple[str, str, str | None]] = field(default_factory=list)
    # (agency code, dossier code, status) of dossiers in 2, 4 or 9.
    movable: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Plan:
    settings: Settings
    calendar: WorkingCalendar
    now: datetime
    agencies: list[AgencyRow]
    procedures: dict[str, list[ProcedureRow]]
    per_day: list[int]
    # Hand-overs per dossier that has an in-process step, to reach the steps asked for.
    handovers: float
    seed: int = 13
    due_cache: dict[tuple[DeadlineRule, datetime], datetime] = field(default_factory=dict)


def day_counts(total: int, today: date) -> list[int]:
    """Dossiers received on each of the DAYS days before today: weekdays alike, Saturday 15%, Sunday 5%."""
    weights = [
        {5: 0.15, 6: 0.05}.get((today - timedelta(days=DAYS + 1 - k)).weekday(), 1.0) for k in range(DAYS)
    ]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for k in range(total - sum(counts)):
        counts[-1 - k % DAYS] += 1
    return counts


def _due(plan: Plan, rule: DeadlineRule, slot: datetime) -> datetime:
    # Receipts are drawn on hours plus seconds: the deadline of the hour, shifted by the seconds,
    # is the real one but where the shift crosses a closing, and costs far fewer computations.
    key = (rule, slot)
    due = plan.due_cache.get(key)
    if due is None:
        due = due_at(plan.calendar, rule, slot, same_day_cutoff=plan.settings.dossier_same_day_cutoff)
        plan.due_cache[key] = due
    return due


def _path(r: Callable[[], float], target: int, online: bool, handovers: int) -> list[int]:
    path = [1] if online else []
    if target in (1, 3):
        return [1, 3] if target == 3 else [1]
    path.append(2)
    if target == 2:
        return path
    if target == 7 and r() < 0.5:
        return [*path, 7]
    path += [4] * (1 + handovers)
    return path if target == 4 else [*path, 9, 10] if target == 10 else [*path, target]


def _cumulative(weights: tuple[tuple[int, int], ...]) -> tuple[list[int], list[float]]:
    total = sum(w for _, w in weights)
    return [s for s, _ in weights], list(accumulate(w / total for _, w in weights))


_RECENT_CUMULATIVE, _OLD_CUMULATIVE = _cumulative(_RECENT), _cumulative(_OLD)


def generate_day(plan: Plan, index: int, *, rows: bool, filled: Filled | None, step_id: int) -> Iterator[Any]:
    """Day `index`'s dossier rows (`rows` True) or their step rows (False), the same data either way."""
    r = random.Random(plan.seed * 1_000_003 + index).random
    bits = random.Random(plan.seed * 1_000_003 + index + DAYS).getrandbits
    # The newest receipts are of the day before yesterday: a day older than the run, whatever its hour.
    day = plan.now.astimezone(LOCAL_ZONE).date() - timedelta(days=DAYS + 1 - index)
    counter_slots = [datetime.combine(day, at, tzinfo=LOCAL_ZONE).astimezone(UTC) for at in _COUNTER_SLOTS]
    any_slots = [datetime.combine(day, at, tzinfo=LOCAL_ZONE).astimezone(UTC) for at in _ANY_SLOTS]
    statuses, cumulative = _RECENT_CUMULATIVE if DAYS - index <= OPEN_DAYS else _OLD_CUMULATIVE
    sunday = day.weekday() == 6
    yymmdd = f"{day:%y%m%d}"
    numbers: dict[str, int] = {}
    latest = plan.now - QUIET
    stride = max(1, sum(plan.per_day) // SAMPLE_SIZE)
    whole_handovers = int(plan.handovers)
    extra_handover = plan.handovers - whole_handovers
    for n in range(plan.per_day[index]):
        agency = plan.agencies[int(r() * 3)] if r() < 0.4 else plan.agencies[3 + int(r() * 8)]
        choices = plan.procedures[agency.level]
        procedure = choices[int(r() * len(choices))]
        online = r() < 0.3 or sunday
        channel = "online" if online else ("post" if r() < 0.1 else "in_person")
        # A deadline counts from acceptance, at the counter's hours: an online filing's too.
        counter = int(r() * len(counter_slots))
        offset = timedelta(seconds=int(r() * 3600))
        received = (any_slots[int(r() * len(any_slots))] if online else counter_slots[counter]) + offset
        target = statuses[bisect(cumulative, r() * cumulative[-1])]
        if not online and target in (1, 3):
            target = 2 if target == 1 else 7
        path = _path(r, target, online, whole_handovers + (1 if r() < extra_handover else 0))
        due = _due(plan, procedure.rule, counter_slots[counter]) + offset
        span = max(due - received, timedelta(hours=2)) * (0.3 + 0.85 * r())
        end = min(received + span, latest)
        moments = [received]
        if len(path) > 1:
            points = sorted([r() for _ in range(len(path) - 1)])
            width = max(end - received, timedelta(minutes=len(path)))
            moments += [received + width * p + timedelta(microseconds=k + 1) for k, p in enumerate(points)]
        if path[-1] == 10:
            moments[-1] = min(moments[-2] + timedelta(days=10 * r()), latest)
        step_draws = [r() for _ in path]
        phone = f"+849{int(r() * 10**8):08d}"
        id_number = f"0{int(r() * 10**11):011d}" if r() < 0.7 else None
        name = f"{_FAMILY[int(r() * 12)]} {_MIDDLE[int(r() * 10)]} {_GIVEN[int(r() * 12)]}"
        sms = r() < 0.2
        dossier_id = uuid.UUID(int=bits(128))
        numbers[agency.code] = numbers.get(agency.code, 0) + 1
        code = f"{agency.code}-{yymmdd}-{numbers[agency.code]:04d}"
        status = path[-1]
        if not rows:
            for k, (step, at) in enumerate(zip(path, moments, strict=True)):
                draw = step_draws[k]
                yield (
                    step_id,
                    dossier_id,
                    step,
                    path[k - 1] if k else None,
                    at,
                    UNITS[int(draw * len(UNITS))],
                    OFFICERS[int(draw * 1000) % len(OFFICERS)] if k else None,
                    "Yêu cầu bổ sung giấy tờ" if step == 5 else None,
                    # A third of the hand-overs between offices are internal: the applicant does not see them.
                    not (step == 4 and path[k - 1] == 4 and (draw * 10_000) % 1 < 0.3),
                    plan.now,
                )
                step_id += 1
            continue
        accepted = 2 in path
        finished = next((at for s, at in zip(path, moments, strict=True) if s in (3, 7, 8, 9)), None)
        paused = status == 5
        if filled is not None:
            filled.dossiers += 1
            filled.steps += len(path)
            if n % stride == 0:
                filled.lookups.append((code, phone[-4:], id_number[-4:] if id_number else None))
            if status in (2, 4, 9):
                filled.movable.append((agency.code, code, status))
        yield (
            dossier_id,
            code,
            agency.id,
            procedure.id,
            agency.unit_code,
            channel,
            status,
            moments[-1],
            name,
            phone,
            id_hash(plan.settings, id_number) if id_number else None,
            suffix_hash(plan.settings, code, id_number[-4:]) if id_number else None,
            sms,
            received,
            due if accepted and not paused else None,
            due if accepted else None,
            moments[-1] if paused else None,
            1 if 5 in path else 0,
            False,
            finished,
            moments[-1] if status == 10 else None,
            _MORE_DOCUMENTS if paused else _FEE_DUE if status == 6 else None,
            procedure.fee_vnd,
            received,
            moments[-1],
        )


async def load_plan(connection: asyncpg.Connection, plan_args: dict[str, Any]) -> Plan:
    """The plan over the agencies and procedures the database holds."""
    agencies = [
        AgencyRow(row["id"], row["code"], row["unit_code"], row["level"])
        for row in await connection.fetch(
            "SELECT id, code, unit_code, level FROM dossier_agencies ORDER BY code"
        )
    ]
    # Three of the province first, then the eight wards': generate_day draws from both ends.
    agencies.sort(key=lambda agency: (agency.level != "province", agency.code))
    procedures: dict[str, list[ProcedureRow]] = {}
    for row in await connection.fetch(
        "SELECT id, level, deadline_kind, deadline_amount, fee_vnd FROM dossier_procedures ORDER BY code"
    ):
        rule = DeadlineRule(row["deadline_kind"], Decimal(row["deadline_amount"]))
        procedures.setdefault(row["level"], []).append(ProcedureRow(row["id"], rule, row["fee_vnd"]))
    return Plan(agencies=agencies, procedures=procedures, **plan_args)


async def fill(connection: asyncpg.Connection, plan: Plan) -> Filled:
    """Both tables by one binary COPY each; prints their rows a second."""
    filled = Filled()
    started = time.perf_counter()

    def dossier_rows() -> Iterator[Any]:
        for index in range(DAYS):
            yield from generate_day(plan, index, rows=True, filled=filled, step_id=0)

    await connection.copy_records_to_table("dossiers", records=dossier_rows(), columns=DOSSIER_COLUMNS)
    dossiers_seconds = time.perf_counter() - started
    next_id = [1]

    def step_rows() -> Iterator[Any]:
        for index in range(DAYS):
            for row in generate_day(plan, index, rows=False, filled=None, step_id=next_id[0]):
                next_id[0] += 1
                yield row

    started = time.perf_counter()
    await connection.copy_records_to_table("dossier_steps", records=step_rows(), columns=STEP_COLUMNS)
    steps_seconds = time.perf_counter() - started
    await connection.execute(
        "SELECT setval(pg_get_serial_sequence('dossier_steps', 'id'), $1)", max(filled.steps, 1)
    )
    print(
        f"filled {filled.dossiers:,} dossiers in {dossiers_seconds:.1f} s "
        f"({filled.dossiers / dossiers_seconds:,.0f} rows/s) and {filled.steps:,} steps in "
        f"{steps_seconds:.1f} s ({filled.steps / steps_seconds:,.0f} rows/s), each by one binary COPY "
        "generated on the fly",
        flush=True,
    )
    return filled


def base_plan_args(
    settings: Settings, calendar: WorkingCalendar, dossiers: int, steps: int
) -> dict[str, Any]:
    now = datetime.now(UTC)
    per_day = day_counts(dossiers, now.astimezone(LOCAL_ZONE).date())
    # Paths without hand-overs average about 4.2 steps, and nine in ten reach 4 (in process).
    handovers = max(0.0, (steps / max(dossiers, 1) - 4.2) / 0.9)
    return {
        "settings": settings,
        "calendar": calendar,
        "now": now,
        "per_day": per_day,
        "handovers": handovers,
    }
