"""Fixtures for the sync tests: the demo province, two agencies with sync keys, a few procedures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from dossiers.agencies import service
from dossiers.agencies.schemas import AgencyCreate
from dossiers.types import AgencyLevel
from tests.dossiers.sync.support import (
    AGENCY_CODE,
    FRESH,
    OTHER_AGENCY_CODE,
    RESUMING,
    SAME_DAY,
    SyncCaller,
    key_headers,
    procedure,
)
from tests.support.people import PersonFactory


async def _caller(session: AsyncSession, person: PersonFactory, code: str, name: str) -> SyncCaller:
    admin = await person(Role.ADMIN)
    now = datetime.now(UTC)
    body = AgencyCreate(code=code, name_vi=name, level=AgencyLevel.PROVINCE, unit_code="37")
    agency = await service.create_agency(session, body, now=now)
    _, created = await service.create_sync_key(session, code, name=None, created_by=admin.id, now=now)
    await session.flush()
    return SyncCaller(agency=agency, headers=key_headers(created.key))


@pytest.fixture
async def procedures(units: AsyncSession) -> AsyncSession:
    units.add_all(
        [
            procedure(FRESH, "working_days", "3"),
            procedure(RESUMING, "working_days", "5", resume=True),
            procedure(SAME_DAY, "same_day", "0"),
        ]
    )
    await units.flush()
    return units


@pytest.fixture
async def caller(procedures: AsyncSession, person: PersonFactory) -> SyncCaller:
    return await _caller(procedures, person, AGENCY_CODE, "Sở Tư pháp")


@pytest.fixture
async def other_caller(procedures: AsyncSession, person: PersonFactory) -> SyncCaller:
    return await _caller(procedures, person, OTHER_AGENCY_CODE, "Sở Xây dựng")
