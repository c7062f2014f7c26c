"""The rules of agencies: creating them, giving them sync keys, and finding the agency behind a key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Cursor, Page
from core.errors import Message, ProblemError, invalid_value
from core.identity.api_keys import ApiClient, CreatedKey, create_api_key
from dossiers.agencies import repository
from dossiers.agencies.schemas import AgencyCreate
from dossiers.models import Agency

SYNC_SCOPE = "dossiers:sync"


def agency_not_found(code: str) -> ProblemError:
    return ProblemError(
        404,
        "agency_not_found",
        Message(f"Không có cơ quan mã {code}", f"No agency has the code {code}"),
    )


async def create_agency(session: AsyncSession, body: AgencyCreate, *, now: datetime) -> Agency:
    """A new agency; 422 unit_not_found for an unknown unit, 409 agency_code_taken for a code in use."""
    if not await repository.unit_exists(session, body.unit_code):
        raise invalid_value(
            ["body", "unit_code"],
            Message(
                f"Không có đơn vị hành chính mã {body.unit_code}", f"No unit has the code {body.unit_code}"
            ),
            code="unit_not_found",
        )
    agency = Agency(
        id=uuid.uuid4(),
        code=body.code,
        name_vi=body.name_vi,
        name_en=body.name_en,
        level=body.level.value,
        unit_code=body.unit_code,
        created_at=now,
    )
    if not await repository.add_agency(session, agency):
        raise ProblemError(
            409,
            "agency_code_taken",
            Message(f"Mã cơ quan {body.code} đã được dùng", f"The agency code {body.code} is already taken"),
        )
    return agency


async def list_agencies(session: AsyncSession, *, cursor: Cursor | None, limit: int) -> Page[Agency]:
    return await repository.list_agencies(session, cursor=cursor, limit=limit)


async def create_sync_key(
    session: AsyncSession, code: str, *, name: str | None, created_by: uuid.UUID, now: datetime
) -> tuple[Agency, CreatedKey]:
    """A new API key with the scope dossiers:sync, bound to the agency `code` (404 agency_not_found)."""
    agency = await repository.agency_by_code(session, code)
    if agency is None:
        raise agency_not_found(code)
    created = await create_api_key(
        session, name=name or f"{agency.code} sync", scopes=[SYNC_SCOPE], created_by=created_by, now=now
    )
    await repository.bind_key(session, api_key_id=created.row.id, agency_id=agency.id, now=now)
    return agency, created


async def agency_of(session: AsyncSession, client: ApiClient) -> Agency:
    """The agency a sync key writes for; 403 api_key_not_bound for a key bound to none (a key made at
    /admin/api-keys with the scope but never given to an agency)."""
    agency = await repository.agency_of_key(session, client.key_id)
    if agency is None:
        raise ProblemError(
            403,
            "api_key_not_bound",
            Message(
                "Khóa API này chưa được gán cho cơ quan nào; hãy tạo khóa cho cơ quan",
                "This API key is bound to no agency; create the key for an agency",
            ),
        )
    return agency
