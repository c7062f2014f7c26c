"""Fixtures for the incident tests: the demo province with its report catalogue, the centre installed
(the incident reaction and report hook registered), a flood rule and people of ward 13666."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.catalogue.cache import forget_categories
from ioc.install import install
from ioc.rules.models import AlertRuleVersion
from tests.feedback.conftest import catalogue
from tests.support.alarms import FLOOD_RULE, make_rule
from tests.support.people import Person, PersonFactory

# The demo province with its report catalogue, as the report tests have it.
__all__ = ["catalogue"]

FIRE_RULE: dict[str, Any] = {
    "kind": "camera",
    "name": "Khói lửa / Fire or smoke",
    "alarm_type": "fire",
    "detection_types": ["fire", "smoke"],
    "min_confidence": 0.8,
    "severities": [{"severity": "major"}],
}


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    """The centre's reaction and report hook registered; each test's catalogue is its own (the process's
    category cache must not outlive the transaction that seeded it)."""
    install()
    forget_categories()
    yield
    forget_categories()


@pytest.fixture
async def admin(catalogue: AsyncSession, person: PersonFactory) -> Person:
    return await person(Role.ADMIN)


@pytest.fixture
async def officer(catalogue: AsyncSession, person: PersonFactory) -> Person:
    return await person(Role.OFFICER, "13666")


@pytest.fixture
async def flood(session: AsyncSession, admin: Person) -> AlertRuleVersion:
    return await make_rule(session, admin.id, FLOOD_RULE)


@pytest.fixture
async def fire(session: AsyncSession, admin: Person) -> AlertRuleVersion:
    return await make_rule(session, admin.id, FIRE_RULE)
