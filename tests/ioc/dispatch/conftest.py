"""Fixtures of the dispatch tests: the reactions installed, settings with a small radius (the demo province is
about 15 km across), and the world the tests place staff and alarms in."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from ioc.install import install
from tests.core.push.conftest import clock, fcm, fcm_sender, fcm_server, fcm_settings
from tests.ioc.dispatch.helpers import World
from tests.support.people import PersonFactory

# The FCM fake and the dispatcher's clock, for the end-to-end test.
__all__ = ["clock", "fcm", "fcm_sender", "fcm_server", "fcm_settings"]


@pytest.fixture(autouse=True)
def installed() -> None:
    install()


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """The suite's settings with dispatch's set here (the app of these tests reads them too): ring r reaches
    1000 × r metres, so 1, 2 and 3 km, all inside the demo province."""
    return settings.model_copy(
        update={
            "ioc_dispatch_radius_m": 1000.0,
            "ioc_dispatch_ring_size": 3,
            "ioc_dispatch_max_rings": 3,
            "ioc_dispatch_answer_seconds": 120.0,
            "ioc_dispatch_position_ttl_seconds": 900,
            "ioc_alerts_dispatch_min_severity": "major",
        }
    )


@pytest.fixture
def world(
    units: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: PersonFactory,
) -> World:
    return World(units, sessionmaker, settings, person)
