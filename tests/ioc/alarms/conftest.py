"""Fixtures of the alarm tests: a rule of the demo province and alarms of it, in the test's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.principal import Role
from core.push.dispatcher import Dispatcher, DispatchReport
from core.push.fcm import FcmSender
from core.settings import Settings
from ioc.alarms.models import Alarm
from ioc.rules.models import AlertRuleVersion
from tests.core.push.conftest import Clock, clock, fcm, fcm_sender, fcm_server, fcm_settings, make_dispatcher
from tests.core.push.fcm_fake import FcmFake
from tests.support.alarms import make_alarm, make_rule
from tests.support.people import PersonFactory

# Two wards of the demo province (37).
WARD = "13666"
OTHER_WARD = "13684"
PROVINCE = "37"

AlarmFactory = Callable[..., Awaitable[Alarm]]


@pytest.fixture
async def rule(units: AsyncSession, person: PersonFactory) -> AlertRuleVersion:
    admin = await person(Role.ADMIN)
    return await make_rule(units, admin.id)


@pytest.fixture
def alarm(session: AsyncSession, rule: AlertRuleVersion) -> AlarmFactory:
    """`await alarm(severity=..., unit_code=...)`: an active, unacknowledged alarm of the flood rule."""

    async def factory(**options: Any) -> Alarm:
        return await make_alarm(session, rule, **options)

    return factory


@dataclass
class Phones:
    """The push dispatcher sending through the real firebase-admin client to the FCM fake."""

    settings: Settings
    fake: FcmFake
    dispatcher: Dispatcher

    async def deliver(self) -> DispatchReport:
        return await self.dispatcher.dispatch_once()


@pytest.fixture
def phones(
    fcm_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
) -> Phones:
    return Phones(fcm_settings, fcm, make_dispatcher(fcm_settings, sessionmaker, fcm_sender, clock))


# The FCM fake and the dispatcher's clock of the push tests, for the end-to-end pushes here.
__all__ = ["clock", "fcm", "fcm_sender", "fcm_server", "fcm_settings"]
