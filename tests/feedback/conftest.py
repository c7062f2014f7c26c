"""Fixtures for the report tests: the demo province with its catalogue, media in a temporary folder, and
people with tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units, read_document
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from tests.feedback.support import Person, make_person

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")
CATALOGUE: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))

PersonFactory = Callable[..., Awaitable[Person]]


@pytest.fixture(scope="session")
def settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A signing key of proper length (PyJWT warns on the short development one), a private media folder."""
    media: Path = tmp_path_factory.mktemp("media")
    return settings.model_copy(
        update={
            "secret_key": SecretStr("feedback-tests-" + "k" * 40),
            "media_root": media,
        }
    )


@pytest.fixture
async def catalogue(session: AsyncSession) -> AsyncSession:
    """The demo province, its wards, departments and report categories, inside the test's transaction."""
    await import_units(session, DEMO)
    await seed_catalogue(session, CATALOGUE)
    await session.flush()
    return session


@pytest.fixture
def person(session: AsyncSession, settings: Settings) -> PersonFactory:
    """make a user with a token: `await person()` a citizen, `await person(Role.OFFICER, "13666")` staff."""

    async def factory(role: Role = Role.CITIZEN, unit_code: str | None = None, **kwargs: Any) -> Person:
        return await make_person(session, settings, role, unit_code, **kwargs)

    return factory
