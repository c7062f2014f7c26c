"""Fixtures for the report tests: the demo province with its catalogue (the private media folder and people
with tokens come from the suite's conftest)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.units.importer import import_units
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from tests.support.units import DEMO

CATALOGUE: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))


@pytest.fixture
async def catalogue(session: AsyncSession) -> AsyncSession:
    """The demo province, its wards, departments and report categories, inside the test's transaction."""
    await import_units(session, DEMO)
    await seed_catalogue(session, CATALOGUE)
    await session.flush()
    return session
