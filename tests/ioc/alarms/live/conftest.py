"""Fixtures of the alarm tests that need committed rows: the alerts task on its own connections, two
workers at once, and the live channel through the relay.

Everything is written to the committed test province (98, wards 98001 and 98002) and removed afterwards:
alarms (their timelines go with them), the rule, the people and what was pushed to them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.identity.models import User
from core.identity.principal import Role
from ioc.alarms.models import Alarm
from ioc.rules.models import AlertRuleVersion
from ioc.types import Severity
from tests.support.alarms import make_alarm, make_rule
from tests.support.events import WARD_A, WARD_B
from tests.support.live import committed, events_settings, relays, serve, stream_redis, units

__all__ = ["committed", "events_settings", "relays", "serve", "stream_redis", "units"]

# Inside ward A (west of 105.5) and ward B of the test province.
IN_A = (105.25, 20.5)
IN_B = (105.75, 20.5)


@dataclass
class World:
    """Committed people, a rule and alarms of the test province."""

    sessions: async_sessionmaker[AsyncSession]
    rule: AlertRuleVersion | None = None
    users: list[uuid.UUID] = field(default_factory=list)
    alarms: list[uuid.UUID] = field(default_factory=list)

    async def person(self, role: Role, unit_code: str | None) -> User:
        async with self.sessions() as session:
            user = User(role=role, unit_code=unit_code, username=f"alarms-{uuid.uuid4().hex[:10]}")
            user.display_name = f"Cán bộ {user.username}"
            session.add(user)
            await session.commit()
        self.users.append(user.id)
        return user

    async def alarm(
        self, *, unit_code: str = WARD_A, severity: Severity = Severity.MAJOR, **options: Any
    ) -> Alarm:
        async with self.sessions() as session:
            if self.rule is None:
                author = await self.person(Role.ADMIN, None)
                self.rule = await make_rule(session, author.id)
            lon, lat = IN_A if unit_code == WARD_A else IN_B
            made = await make_alarm(
                session, self.rule, unit_code=unit_code, severity=severity, lon=lon, lat=lat, **options
            )
            await session.commit()
        self.alarms.append(made.id)
        return made


@pytest.fixture
async def world(units: None, engine: AsyncEngine) -> AsyncIterator[World]:
    made = World(async_sessionmaker(engine, expire_on_commit=False))
    yield made
    async with engine.begin() as connection:
        people = {"ids": made.users}
        await connection.execute(
            text(
                "DELETE FROM push_outbox WHERE notification_id IN "
                "(SELECT id FROM notifications WHERE user_id = ANY(:ids))"
            ),
            people,
        )
        await connection.execute(text("DELETE FROM notifications WHERE user_id = ANY(:ids)"), people)
        await connection.execute(
            text("DELETE FROM alarms WHERE unit_code IN (:a, :b)"), {"a": WARD_A, "b": WARD_B}
        )
        if made.rule is not None:
            await connection.execute(
                text("DELETE FROM alert_rules WHERE id = :id"), {"id": made.rule.rule_id}
            )
        await connection.execute(text("DELETE FROM alert_preferences WHERE user_id = ANY(:ids)"), people)
        await connection.execute(text("DELETE FROM device_tokens WHERE user_id = ANY(:ids)"), people)
        await connection.execute(text("DELETE FROM users WHERE id = ANY(:ids)"), people)
