"""The agency a figures request names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dossiers.models import Agency


async def agency_by_code(session: AsyncSession, code: str) -> Agency | None:
    return (await session.execute(select(Agency).where(col(Agency.code) == code))).scalar_one_or_none()
