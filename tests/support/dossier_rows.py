"""Agencies, procedures and dossiers written straight through the models, in any state, time or unit.

Tests of reading and figures place dossiers where they need them without going through the agencies' sync.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.models import Agency, Dossier, Procedure
from dossiers.types import AgencyLevel, Channel, OnlineLevel, Status

_numbers = itertools.count(1)
_THREE_DAYS: Any = object()


async def make_agency(
    session: AsyncSession,
    unit_code: str,
    *,
    code: str | None = None,
    level: AgencyLevel = AgencyLevel.COMMUNE,
) -> Agency:
    agency = Agency(
        code=code or f"000.00.{uuid.uuid4().hex[:6].upper()}.H56",
        name_vi=f"UBND đơn vị {unit_code}",
        name_en=f"People's committee {unit_code}",
        level=level,
        unit_code=unit_code,
    )
    session.add(agency)
    await session.flush()
    return agency


async def make_procedure(
    session: AsyncSession, *, code: str | None = None, kind: str = "working_days", amount: int = 3
) -> Procedure:
    procedure = Procedure(
        code=code or f"1.{uuid.uuid4().int % 1_000_000:06d}.000.00.00.H56",
        name_vi="Đăng ký khai sinh",
        name_en="Birth registration",
        field_vi="Hộ tịch",
        field_en="Civil status",
        level=AgencyLevel.COMMUNE,
        deadline_kind=kind,
        deadline_amount=Decimal(amount),
        online_level=OnlineLevel.FULL,
        search_text="dang ky khai sinh",
        name_folded="dang ky khai sinh",
    )
    session.add(procedure)
    await session.flush()
    return procedure


async def make_dossier(
    session: AsyncSession,
    agency: Agency,
    procedure: Procedure,
    *,
    received_at: datetime | None = None,
    due_at: Any = _THREE_DAYS,
    status: Status = Status.IN_PROCESS,
    unit_code: str | None = None,
    **fields: Any,
) -> Dossier:
    """A dossier of `agency`, due three days after its receipt unless told otherwise (None: the clock is
    stopped); its original due date is its due date unless told otherwise."""
    received = received_at or datetime.now(UTC) - timedelta(days=1)
    due = received + timedelta(days=3) if due_at is _THREE_DAYS else due_at
    dossier = Dossier(
        code=f"{agency.code}-{received:%y%m%d}-{next(_numbers):04d}",
        agency_id=agency.id,
        procedure_id=procedure.id,
        unit_code=unit_code or agency.unit_code,
        channel=fields.pop("channel", Channel.IN_PERSON),
        status=int(status),
        status_at=fields.pop("status_at", received),
        applicant_name=fields.pop("applicant_name", "Nguyễn Thị Lan"),
        applicant_phone=fields.pop("applicant_phone", "+84912345678"),
        received_at=received,
        due_at=due,
        original_due_at=fields.pop("original_due_at", due),
        **fields,
    )
    session.add(dossier)
    await session.flush()
    return dossier
