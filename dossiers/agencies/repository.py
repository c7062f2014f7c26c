"""All SQL of agencies and their keys. Writes are flushed here, so a refused row fails where it was made."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import Cursor, Page, fetch_limit, keyset_page
from core.units.models import AdminUnit
from dossiers.models import Agency, AgencyKey

AGENCY_SORT = "agencies"


async def unit_exists(session: AsyncSession, code: str) -> bool:
    found = await session.execute(select(col(AdminUnit.code)).where(col(AdminUnit.code) == code))
    return found.first() is not None


async def add_agency(session: AsyncSession, agency: Agency) -> bool:
    """Insert `agency`; False (and nothing written) when its code is taken."""
    statement = (
        insert(Agency)
        .values(
            id=agency.id,
            code=agency.code,
            name_vi=agency.name_vi,
            name_en=agency.name_en,
            level=agency.level,
            unit_code=agency.unit_code,
            created_at=agency.created_at,
        )
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(col(Agency.id))
    )
    return (await session.execute(statement)).first() is not None


async def agency_by_code(session: AsyncSession, code: str) -> Agency | None:
    found = await session.execute(select(Agency).where(col(Agency.code) == code))
    return found.scalar_one_or_none()


async def list_agencies(session: AsyncSession, *, cursor: Cursor | None, limit: int) -> Page[Agency]:
    """Agencies in the order they were created (oldest first), a page at a time."""
    statement = select(Agency)
    if cursor is not None:
        statement = statement.where(tuple_(col(Agency.created_at), col(Agency.id)) > (cursor.at, cursor.id))
    statement = statement.order_by(col(Agency.created_at), col(Agency.id)).limit(fetch_limit(limit))
    rows = (await session.execute(statement)).scalars().all()
    return keyset_page(
        rows, limit, sort=AGENCY_SORT, position=lambda row: (row.created_at, row.id), item=lambda row: row
    )


async def bind_key(
    session: AsyncSession, *, api_key_id: uuid.UUID, agency_id: uuid.UUID, now: datetime
) -> None:
    session.add(AgencyKey(api_key_id=api_key_id, agency_id=agency_id, created_at=now))
    await session.flush()


async def agency_of_key(session: AsyncSession, api_key_id: uuid.UUID) -> Agency | None:
    found = await session.execute(
        select(Agency)
        .join(AgencyKey, col(AgencyKey.agency_id) == col(Agency.id))
        .where(col(AgencyKey.api_key_id) == api_key_id)
    )
    return found.scalar_one_or_none()
