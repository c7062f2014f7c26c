"""Fixtures of the KPI tests: the demo province with its report catalogue, and rows with known figures."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.feedback.conftest import catalogue
from tests.ioc.kpis.known import Known, make_known
from tests.support.people import PersonFactory

__all__ = ["catalogue", "known"]


@pytest.fixture
async def known(catalogue: AsyncSession, person: PersonFactory) -> Known:
    return await make_known(catalogue, person)
