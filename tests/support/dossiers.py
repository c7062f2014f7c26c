"""Dossier rows for tests, made straight through the models: an agency, a procedure, a dossier in any state
with its steps."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from dossiers.keys import id_hash, suffix_hash
from dossiers.models import Agency, Apology, Dossier, DossierStep, Procedure
from dossiers.types import FINISHED, Status

WARD = "13666"
_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Step:
    status: Status
    at: datetime
    public: bool = True
    unit_name: str = "Bộ phận một cửa"
    officer_name: str | None = "Trần Thị Cán Bộ"
    comment: str | None = None


async def make_agency(session: AsyncSession, *, code: str | None = None, unit_code: str = WARD) -> Agency:
    agency = Agency(
        code=code or f"000.00.{next(_numbers):03d}.H56",
        name_vi="UBND phường Nam Định",
        name_en="Nam Dinh ward people's committee",
        level="commune",
        unit_code=unit_code,
    )
    session.add(agency)
    await session.flush()
    return agency


async def make_procedure(session: AsyncSession, **overrides: Any) -> Procedure:
    values: dict[str, Any] = {
        "code": f"1.{next(_numbers):06d}.000.00.00.H56",
        "name_vi": "Đăng ký thành lập hộ kinh doanh",
        "name_en": "Registering a household business",
        "field_vi": "Thành lập và hoạt động của hộ kinh doanh",
        "level": "commune",
        "deadline_kind": "working_days",
        "deadline_amount": Decimal(3),
        "online_level": "full",
        "search_text": "dang ky thanh lap ho kinh doanh",
        "fee_vnd": 100_000,
    }
    procedure = Procedure(**(values | overrides))
    session.add(procedure)
    await session.flush()
    return procedure


async def make_dossier(
    session: AsyncSession,
    settings: Settings,
    agency: Agency,
    procedure: Procedure,
    *,
    status: Status = Status.IN_PROCESS,
    steps: Sequence[Step] | None = None,
    code: str | None = None,
    applicant_name: str = "Nguyễn Văn An",
    applicant_phone: str | None = "+84912345678",
    id_number: str | None = "036190001234",
    sms_opt_in: bool = False,
    received_at: datetime | None = None,
    **overrides: Any,
) -> Dossier:
    """A dossier of `agency`, received 2 days ago and due in 3, in `status` (finished and returned when the
    status says so), with `steps` (by default one public step for the status). Any column may be given
    (`due_at=None` for a stopped clock)."""
    received = received_at or datetime.now(UTC) - timedelta(days=2)
    code = code or f"{agency.code}-{received:%y%m%d}-{next(_numbers):04d}"
    due = overrides.get("due_at") or received + timedelta(days=5)
    finished = received + timedelta(days=1) if status in FINISHED else None
    values: dict[str, Any] = {
        "code": code,
        "agency_id": agency.id,
        "procedure_id": procedure.id,
        "unit_code": agency.unit_code,
        "channel": "in_person",
        "status": int(status),
        "status_at": received + timedelta(hours=1),
        "applicant_name": applicant_name,
        "applicant_phone": applicant_phone,
        "applicant_id_hash": id_hash(settings, id_number) if id_number else None,
        "id_suffix_hash": suffix_hash(settings, code, id_number[-4:]) if id_number else None,
        "sms_opt_in": sms_opt_in,
        "received_at": received,
        "due_at": due,
        "original_due_at": due,
        "finished_at": finished,
        "returned_at": received + timedelta(days=1, hours=2) if status is Status.RESULT_RETURNED else None,
    }
    dossier = Dossier(id=uuid.uuid4(), **(values | overrides))
    session.add(dossier)
    await session.flush()
    for step in steps if steps is not None else [Step(status, received + timedelta(hours=1))]:
        session.add(
            DossierStep(
                dossier_id=dossier.id,
                status=int(step.status),
                at=step.at,
                unit_name=step.unit_name,
                officer_name=step.officer_name,
                comment=step.comment,
                public=step.public,
            )
        )
    await session.flush()
    return dossier


async def make_apology(
    session: AsyncSession, dossier: Dossier, *, new_due_at: datetime, reason_vi: str = "Hồ sơ phức tạp"
) -> Apology:
    apology = Apology(
        dossier_id=dossier.id,
        reason_vi=reason_vi,
        reason_en="A complex dossier",
        new_due_at=new_due_at,
        agency_id=dossier.agency_id,
        issued_at=datetime.now(UTC),
    )
    session.add(apology)
    await session.flush()
    return apology
