"""Fixtures for the device registry tests: the demo province, people with tokens, and broker identities that
never outlive a test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.app import create_app
from core.http.resources import Resources
from core.identity.principal import Role
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units, read_document
from iot.registry.broker_admin import BrokerAdmin
from iot.registry.models import Device
from tests.feedback.support import Person, make_person

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")

PersonFactory = Callable[..., Awaitable[Person]]


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """A signing key of proper length (PyJWT warns on the short development one)."""
    return settings.model_copy(update={"secret_key": SecretStr("iot-tests-" + "k" * 40)})


@pytest.fixture
async def units(session: AsyncSession) -> AsyncSession:
    """The demo province and its wards, inside the test's transaction."""
    await import_units(session, DEMO)
    await session.flush()
    return session


@pytest.fixture
def person(session: AsyncSession, settings: Settings) -> PersonFactory:
    """`await person(Role.ADMIN)`, `await person(Role.OFFICER, "13666")`: a user with a token."""

    async def factory(role: Role = Role.CITIZEN, unit_code: str | None = None, **kwargs: Any) -> Person:
        return await make_person(session, settings, role, unit_code, **kwargs)

    return factory


@pytest.fixture
async def broker_admin(settings: Settings) -> AsyncIterator[BrokerAdmin]:
    """A broker admin connection on the real broker, for tests and their clean-up."""
    admin = BrokerAdmin(settings)
    yield admin
    await admin.close()


@pytest.fixture
async def broker_usernames(broker_admin: BrokerAdmin) -> AsyncIterator[set[str]]:
    """Add the username of every broker client a test makes by hand (a gateway...): deleted at teardown.

    Every change rewrites the broker's whole identity file, so leftovers would slow every later change."""
    usernames: set[str] = set()
    yield usernames
    for username in sorted(usernames):
        await broker_admin.delete_client(username)


async def delete_device_clients(resources: Resources, broker_admin: BrokerAdmin) -> None:
    """Delete the broker client of every device the test's transaction holds (a client that was never made
    is not an error), before the transaction is rolled back and the devices' ids are forgotten."""
    async with resources.sessionmaker() as session:
        ids = (await session.execute(select(col(Device.id)))).scalars().all()
    for device_id in ids:
        await broker_admin.delete_client(str(device_id))


@pytest.fixture
async def app(settings: Settings, resources: Resources, broker_admin: BrokerAdmin) -> AsyncIterator[FastAPI]:
    """The app on the test's resources; registering a device through it creates a broker client, which is
    deleted at teardown, and the app's broker connection is closed."""
    application = create_app(settings)
    application.state.resources = resources
    yield application
    await delete_device_clients(resources, broker_admin)
    await application.state.broker_admin.close()
