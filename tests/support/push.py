"""Helpers of the push tests (the device routes and the dispatcher): citizens with tokens, FCM-shaped tokens,
and fresh reads of the push tables."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.push.repository import devices, notifications, outbox
from core.settings import Settings
from tests.support import people


async def make_user(session: AsyncSession) -> uuid.UUID:
    user = User(role=Role.CITIZEN, phone=f"+849{secrets.randbelow(10**8):08d}")
    session.add(user)
    await session.flush()
    return user.id


def bearer(settings: Settings, user_id: uuid.UUID) -> dict[str, str]:
    """The authorization header of the citizen `user_id`."""
    token, _ = issue_access_token(settings, Principal(user_id=user_id, role=Role.CITIZEN))
    return people.bearer(token)


def fcm_token(label: str) -> str:
    """Something shaped like an FCM registration token (about 160 characters), recognisable in failures."""
    return f"{label}:APA91b{secrets.token_urlsafe(110)}"


@dataclass
class Rows:
    """Fresh reads of the push tables (Core rows, never stale ORM objects)."""

    session: AsyncSession

    async def all(self, table: Table, **where: Any) -> list[Any]:
        statement = select(table).where(*(table.c[name] == value for name, value in where.items()))
        return list((await self.session.execute(statement)).all())

    async def one(self, table: Table, **where: Any) -> Any:
        found = await self.all(table, **where)
        assert len(found) == 1, found
        return found[0]

    async def notification(self, notification_id: uuid.UUID) -> Any:
        return await self.one(notifications, id=notification_id)

    async def devices_of(self, user_id: uuid.UUID) -> list[Any]:
        return await self.all(devices, user_id=user_id)

    async def outbox_of(self, notification_id: uuid.UUID) -> list[Any]:
        return await self.all(outbox, notification_id=notification_id)


@pytest.fixture
def rows(session: AsyncSession) -> Rows:
    return Rows(session)
