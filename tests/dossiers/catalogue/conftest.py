"""Fixtures of the catalogue tests: procedures written straight into the test's transaction, and API keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.api_keys import create_api_key
from core.identity.principal import Role
from dossiers.catalogue import upsert
from dossiers.catalogue.schemas import ProcedureUpsert
from tests.support.people import PersonFactory

AddProcedures = Callable[..., Awaitable[None]]
KeyFactory = Callable[[list[str]], Awaitable[dict[str, str]]]


def procedure(code: str, name_vi: str, **overrides: Any) -> dict[str, Any]:
    """A valid sync item; `overrides` replace its members."""
    item: dict[str, Any] = {
        "code": code,
        "name_vi": name_vi,
        "name_en": None,
        "field_vi": "Hộ tịch",
        "field_en": "Civil status",
        "level": "commune",
        "deadline": {"kind": "working_days", "amount": 3},
        "fee_vnd": None,
        "online_level": "full",
        "documents": [{"name_vi": "Tờ khai theo mẫu", "name_en": "Application form"}],
    }
    item.update(overrides)
    return item


@pytest.fixture
def add_procedures(session: AsyncSession) -> AddProcedures:
    """`await add_procedures(item, ...)`: sync items written in the test's transaction."""

    async def add(*items: dict[str, Any]) -> None:
        await upsert.write(session, [ProcedureUpsert.model_validate(item) for item in items])
        await session.flush()

    return add


@pytest.fixture
def api_key(session: AsyncSession, person: PersonFactory) -> KeyFactory:
    """`await api_key(["dossiers:sync"])`: the X-API-Key header of a fresh key with those scopes."""

    async def make(scopes: list[str]) -> dict[str, str]:
        admin = await person(Role.ADMIN)
        created = await create_api_key(
            session, name="Sở Tư pháp Nam Định", scopes=scopes, created_by=admin.id, now=datetime.now(UTC)
        )
        await session.flush()
        return {"x-api-key": created.key}

    return make
