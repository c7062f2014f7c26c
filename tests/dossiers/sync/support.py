"""Building sync items and reading dossiers back, for the sync tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity.api_keys import HEADER
from dossiers.models import Agency, Dossier, DossierStep, Procedure

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY_CODE = "000.00.22.H56"
OTHER_AGENCY_CODE = "000.00.23.H56"
# Working days, clock started afresh after a request; working days resuming the time left; same day.
FRESH = "1.000001.000.00.00.H56"
RESUMING = "1.000002.000.00.00.H56"
SAME_DAY = "1.000003.000.00.00.H56"
# Thu 2025-04-24 09:00 local: 3 working days later is Mon 2025-04-28 09:00 (Sat 26/4 was worked).
RECEIVED = datetime(2025, 4, 24, 9, 0, tzinfo=LOCAL)


@dataclass(frozen=True, slots=True)
class SyncCaller:
    agency: Agency
    headers: dict[str, str]


def key_headers(key: str) -> dict[str, str]:
    return {HEADER: key}


def code_for(number: int, received: datetime = RECEIVED, agency: str = AGENCY_CODE) -> str:
    return f"{agency}-{received.astimezone(LOCAL):%y%m%d}-{number:04d}"


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LOCAL)  # type: ignore[arg-type, misc]


def dossier_item(code: str, received: datetime = RECEIVED, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "dossier",
        "code": code,
        "procedure_code": FRESH,
        "channel": "in_person",
        "received_at": received.isoformat(),
        "status": 2,
        "applicant": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "id_number": "079099123456"},
        "sms_opt_in": True,
    }
    item.update(changes)
    return item


def status_item(code: str, status: int, at: datetime, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "status",
        "code": code,
        "status": status,
        "at": at.isoformat(),
        "unit_name": "Phòng Hộ tịch",
        "officer_name": "Trần Văn Minh",
    }
    item.update(changes)
    return item


def apology_item(code: str, issued: datetime, new_due: datetime) -> dict[str, Any]:
    return {
        "type": "apology",
        "code": code,
        "reason_vi": "Cần xác minh thêm",
        "reason_en": "More checks are needed",
        "issued_at": issued.isoformat(),
        "new_due_at": new_due.isoformat(),
    }


async def send(client: httpx.AsyncClient, caller: SyncCaller, *items: Any) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/dossiers/sync", json={"items": list(items)}, headers=caller.headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    assert [result["index"] for result in results] == list(range(len(items)))
    return results


def outcomes(results: list[dict[str, Any]]) -> list[str]:
    return [result["result"] if result["result"] != "rejected" else result["reason"] for result in results]


async def stored(session: AsyncSession, code: str) -> Dossier:
    found = await session.execute(
        select(Dossier).where(col(Dossier.code) == code).execution_options(populate_existing=True)
    )
    return found.scalar_one()


async def steps_of(session: AsyncSession, code: str) -> list[tuple[int, datetime]]:
    found = await session.execute(
        select(col(DossierStep.status), col(DossierStep.at))
        .join(Dossier, col(Dossier.id) == col(DossierStep.dossier_id))
        .where(col(Dossier.code) == code)
        .order_by(col(DossierStep.at), col(DossierStep.id))
    )
    return [(row[0], row[1]) for row in found]


def procedure(code: str, kind: str, amount: str, *, resume: bool = False) -> Procedure:
    return Procedure(
        id=uuid.uuid4(),
        code=code,
        name_vi=f"Thủ tục {code}",
        field_vi="Hộ tịch",
        level="province",
        deadline_kind=kind,
        deadline_amount=Decimal(amount),
        resume_after_request=resume,
        online_level="full",
        search_text=code.lower(),
        name_folded=f"thu tuc {code.lower()}",
    )


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
