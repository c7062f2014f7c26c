"""Operators for tests: an API key with the ops:read scope (or another), as the header to send."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.api_keys import HEADER, create_api_key
from core.identity.principal import Role
from tests.support.people import PersonFactory


async def ops_key(session: AsyncSession, person: PersonFactory, scope: str = "ops:read") -> dict[str, str]:
    admin = await person(Role.ADMIN)
    created = await create_api_key(
        session, name="prometheus", scopes=[scope], created_by=admin.id, now=datetime.now(UTC)
    )
    await session.flush()
    return {HEADER: created.key}
