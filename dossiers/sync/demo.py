"""Demo dossiers for development: three agencies and a few hundred dossiers in every status, sent through the
sync service exactly as an agency's system would send them, so that their deadlines and steps are consistent.

Receipts fall in the weeks before today, so the mix of open dossiers (within deadline, due soon, overdue)
is a realistic one on the day of seeding. Idempotent: an agency that already has dossiers is left alone (a
second run on a later day would otherwise add dossiers dated from that day).
The procedures come from the catalogue's sample (dossiers/catalogue/seed.py), seeded before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from dossiers.agencies import repository as agencies
from dossiers.agencies import service as agency_service
from dossiers.agencies.schemas import AgencyCreate
from dossiers.catalogue.schemas import ProcedureUpsert
from dossiers.catalogue.seed import read_procedures
from dossiers.deadlines import DeadlineRule, due_at
from dossiers.models import Agency
from dossiers.sync import repository
from dossiers.sync.schemas import Outcome
from dossiers.sync.service import apply_batch, deadlines_of
from dossiers.types import AgencyLevel, Status

DEMO_AGENCIES: tuple[AgencyCreate, ...] = (
    AgencyCreate(
        code="000.00.22.H40",
        name_vi="Sở Tư pháp tỉnh Ninh Bình",
        name_en="Department of Justice of Ninh Bình",
        level=AgencyLevel.PROVINCE,
        unit_code="37",
    ),
    AgencyCreate(
        code="000.00.15.H40",
        name_vi="Sở Tài chính tỉnh Ninh Bình",
        name_en="Department of Finance of Ninh Bình",
        level=AgencyLevel.PROVINCE,
        unit_code="37",
    ),
    AgencyCreate(
        code="H40.13666",
        name_vi="Ủy ban nhân dân phường Nam Định",
        name_en="People's Committee of Nam Định ward",
        level=AgencyLevel.COMMUNE,
        unit_code="13666",
    ),
)
DOSSIERS_PER_AGENCY = 120
# The statuses whose dossiers the seed prints, to try the lookup on.
_SHOWN = (
    Status.IN_PROCESS,
    Status.MORE_DOCUMENTS,
    Status.FEE_DUE,
    Status.RESULT_READY,
    Status.RESULT_RETURNED,
)
DAYS_BACK = 40
_BATCH = 1000

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
_MIDDLE = ("Thị", "Văn", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh")
_GIVEN = ("Lan", "Hùng", "Mai", "Tuấn", "Hương", "Dũng", "Linh", "Nam", "Hà", "Phong", "Trang", "Sơn")
_UNITS = ("Bộ phận Một cửa", "Phòng chuyên môn", "Lãnh đạo đơn vị", "Văn thư")
_OFFICERS = ("Trần Thu Hà", "Lê Minh Đức", "Phạm Ngọc Anh", "Vũ Quang Huy")
# The paths a dossier takes after acceptance, with their weights: most end with a result, a few are
# stopped, withdrawn or wait for documents or a fee.
_PATHS: tuple[tuple[tuple[Status, ...], int], ...] = (
    ((), 6),
    ((Status.IN_PROCESS,), 10),
    ((Status.IN_PROCESS, Status.IN_PROCESS), 6),
    ((Status.IN_PROCESS, Status.MORE_DOCUMENTS), 6),
    ((Status.IN_PROCESS, Status.MORE_DOCUMENTS, Status.IN_PROCESS, Status.RESULT_READY), 6),
    ((Status.IN_PROCESS, Status.MORE_DOCUMENTS, Status.IN_PROCESS, Status.MORE_DOCUMENTS), 2),
    ((Status.IN_PROCESS, Status.FEE_DUE), 4),
    ((Status.IN_PROCESS, Status.FEE_DUE, Status.IN_PROCESS, Status.RESULT_READY), 3),
    ((Status.IN_PROCESS, Status.RESULT_READY), 12),
    ((Status.IN_PROCESS, Status.RESULT_READY, Status.RESULT_RETURNED), 25),
    ((Status.IN_PROCESS, Status.STOPPED), 2),
    ((Status.WITHDRAWN,), 2),
)


@dataclass(frozen=True, slots=True)
class DemoDossier:
    """A dossier a newcomer can look up: its code and the second factors that open it."""

    code: str
    status: Status
    phone_last4: str
    id_last4: str | None


@dataclass(frozen=True, slots=True)
class DemoResult:
    agencies: int
    dossiers: int
    samples: list[DemoDossier]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"


def _receipt(rng: random.Random, now: datetime) -> datetime:
    """A moment in office hours on one of the last DAYS_BACK days (weekends are rare but happen online)."""
    day = (now.astimezone(LOCAL_ZONE) - timedelta(days=rng.randint(0, DAYS_BACK))).date()
    clock = time(rng.choice((8, 9, 10, 11, 14, 15, 16)), rng.choice((0, 10, 25, 40, 55)))
    moment = datetime.combine(day, clock, tzinfo=LOCAL_ZONE)
    # Later today than now: the day before, as a receipt cannot be in the future.
    return moment - timedelta(days=1) if moment > now else moment


def _next_action(status: Status, procedure: ProcedureUpsert) -> dict[str, Any] | None:
    if status is Status.MORE_DOCUMENTS:
        documents = [document.model_dump(mode="json") for document in procedure.documents[:2]]
        return {
            "documents": documents,
            "note_vi": "Bổ sung bản chính để đối chiếu",
            "note_en": "Bring the originals",
        }
    if status is Status.FEE_DUE:
        return {"fee_vnd": procedure.fee_vnd or 50_000, "note_vi": "Nộp lệ phí tại quầy hoặc trực tuyến"}
    return None


def _dossier_items(
    rng: random.Random, code: str, procedure: ProcedureUpsert, settings: Settings, now: datetime
) -> tuple[list[dict[str, Any]], DemoDossier]:
    received = _receipt(rng, now)
    online = rng.random() < 0.3
    phone = f"+849{rng.randrange(10**8):08d}"
    id_number = f"0{rng.randrange(10**11):011d}" if rng.random() < 0.7 else None
    applicant: dict[str, Any] = {"name": _person(rng), "phone": phone, "id_number": id_number}
    items: list[dict[str, Any]] = [
        {
            "type": "dossier",
            "code": code,
            "procedure_code": procedure.code,
            "channel": "online" if online else rng.choice(("in_person", "in_person", "post")),
            "received_at": received.isoformat(),
            "status": 1 if online else 2,
            "applicant": applicant,
            "sms_opt_in": rng.random() < 0.3,
            "fee_vnd": procedure.fee_vnd,
        }
    ]
    deadlines = deadlines_of(settings)
    rule = DeadlineRule(procedure.deadline.kind, procedure.deadline.amount)
    due = due_at(deadlines.calendar, rule, received, same_day_cutoff=deadlines.same_day_cutoff)
    # Spread the steps over the deadline; one dossier in five runs past it.
    span = max(due - received, timedelta(hours=2)) * (1.6 if rng.random() < 0.2 else 0.8)
    path: tuple[Status, ...] = (Status.ACCEPTED,) if online else ()
    if online and rng.random() < 0.1:
        path = (Status.REFUSED,)
    else:
        path += rng.choices([p for p, _ in _PATHS], weights=[w for _, w in _PATHS])[0]
    at, last = received, Status(items[0]["status"])
    for status in path:
        at = at + span / (len(path) + 1) * rng.uniform(0.5, 1.5)
        if at > now - timedelta(minutes=1):
            break
        step: dict[str, Any] = {
            "type": "status",
            "code": code,
            "status": int(status),
            "at": at.isoformat(),
            "unit_name": rng.choice(_UNITS),
            "officer_name": rng.choice(_OFFICERS),
        }
        if (action := _next_action(status, procedure)) is not None:
            step["next_action"] = action
        items.append(step)
        last = status
    if at > due and last not in (Status.RESULT_RETURNED, Status.REFUSED) and due + timedelta(hours=1) < now:
        # The agency apologises the morning after the due date (refused when it turns out not late).
        items.append(
            {
                "type": "apology",
                "code": code,
                "reason_vi": "Hồ sơ cần xác minh thêm với cơ quan liên quan",
                "reason_en": "The dossier needs checks with another agency",
                "issued_at": (due + timedelta(hours=1)).isoformat(),
                "new_due_at": (now + timedelta(days=rng.randint(2, 7))).isoformat(),
            }
        )
    sample = DemoDossier(code, last, phone[-4:], id_number[-4:] if id_number else None)
    return items, sample


async def _agency(session: AsyncSession, body: AgencyCreate, now: datetime) -> Agency:
    existing = await agencies.agency_by_code(session, body.code)
    return existing or await agency_service.create_agency(session, body, now=now)


async def seed_demo_dossiers(
    session: AsyncSession,
    settings: Settings,
    *,
    now: datetime | None = None,
    per_agency: int = DOSSIERS_PER_AGENCY,
) -> DemoResult:
    """The demo agencies and their dossiers in the caller's session (see the module's docstring)."""
    moment = now or datetime.now(UTC)
    rng = random.Random(37)  # noqa: S311  (demo data, the same on every machine)
    catalogue = read_procedures()
    created = 0
    samples: list[DemoDossier] = []
    for body in DEMO_AGENCIES:
        agency = await _agency(session, body, moment)
        if await repository.agency_has_dossiers(session, agency.id):
            continue
        procedures = [p for p in catalogue if p.level == body.level] or catalogue
        numbers: dict[str, int] = {}
        items: list[dict[str, Any]] = []
        agency_samples: list[DemoDossier] = []
        for _ in range(per_agency):
            procedure = rng.choice(procedures)
            # The code's number is the receipt's number of that day, so draw the receipt first.
            state = rng.getstate()
            day = _receipt(rng, moment).strftime("%y%m%d")
            rng.setstate(state)
            numbers[day] = numbers.get(day, 0) + 1
            code = f"{agency.code}-{day}-{numbers[day]:04d}"
            dossier_items, sample = _dossier_items(rng, code, procedure, settings, moment)
            items.extend(dossier_items)
            agency_samples.append(sample)
        for start in range(0, len(items), _BATCH):
            applied = await apply_batch(
                session, settings, agency, items[start : start + _BATCH], now=moment, announce=False
            )
            created += applied.response.counts[Outcome.CREATED]
        samples.extend(agency_samples)
    return DemoResult(agencies=len(DEMO_AGENCIES), dossiers=created, samples=_spread(samples))


def _spread(samples: list[DemoDossier]) -> list[DemoDossier]:
    """A sample of a few telling statuses, to try the lookup on each."""
    seen: dict[Status, DemoDossier] = {}
    for sample in samples:
        seen.setdefault(sample.status, sample)
    return [seen[status] for status in _SHOWN if status in seen]


async def seed_demo_dossiers_file(settings: Settings) -> DemoResult:
    """seed_demo_dossiers in its own transaction: the command line's unit of work."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await seed_demo_dossiers(session, settings)
            await session.commit()
            return result
    finally:
        await engine.dispose()
