"""Fixtures of the push tests: users with access tokens, a controllable clock, and the FCM fake."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from core.http.resources import Resources
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.push.dispatcher import Dispatcher, build_sender
from core.push.fcm import FcmSender
from core.push.repository import devices, notifications, outbox
from core.push.senders import PushSender
from core.settings import Settings
from tests.push.fcm_fake import FcmFake


class Clock:
    """The dispatcher's clock, moved by the test instead of waited for."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# The development secret is shorter than PyJWT wants for HS256 (it warns, and warnings are errors here).
SIGNING_KEY = SecretStr(secrets.token_urlsafe(32))


@pytest.fixture
def resources(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis
) -> Resources:
    """The suite's resources, with a signing key long enough for access tokens."""
    signed = settings.model_copy(update={"secret_key": SIGNING_KEY})
    return Resources(settings=signed, engine=engine, sessionmaker=sessionmaker, redis=redis)


@pytest.fixture
def api_settings(resources: Resources) -> Settings:
    """The settings the app verifies access tokens with."""
    return resources.settings


@pytest.fixture
async def clock(connection: AsyncConnection) -> Clock:
    # The test's transaction time: rows it enqueues (next_attempt_at = now()) are due at once.
    start = await connection.scalar(text("SELECT now()"))
    assert isinstance(start, datetime)
    return Clock(start)


async def make_user(session: AsyncSession) -> uuid.UUID:
    user = User(role=Role.CITIZEN, phone=f"+849{secrets.randbelow(10**8):08d}")
    session.add(user)
    await session.flush()
    return user.id


def bearer(settings: Settings, user_id: uuid.UUID) -> dict[str, str]:
    token, _ = issue_access_token(settings, Principal(user_id=user_id, role=Role.CITIZEN))
    return {"Authorization": f"Bearer {token}"}


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


def make_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    sender: PushSender,
    clock: Clock,
    **options: Any,
) -> Dispatcher:
    # Jitter 0.5 is the middle of the ±20 % band: the delay is exactly push_backoff_seconds * 2**(n-1).
    return Dispatcher(
        sessionmaker,
        sender,
        max_attempts=settings.push_max_attempts,
        backoff_seconds=settings.push_backoff_seconds,
        clock=clock,
        jitter=lambda: 0.5,
        **options,
    )


@pytest.fixture(scope="session")
def fcm_server() -> Iterator[FcmFake]:
    fake = FcmFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def fcm(fcm_server: FcmFake) -> FcmFake:
    fcm_server.reset()
    return fcm_server


@pytest.fixture
def fcm_settings(settings: Settings, fcm: FcmFake, tmp_path: Path) -> Settings:
    credentials = fcm.write_service_account(tmp_path / "service-account.json")
    return settings.model_copy(update={"fcm_credentials_file": credentials, "fcm_endpoint": fcm.url})


@pytest.fixture
async def fcm_sender(
    fcm_settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FcmSender]:
    sender = build_sender(fcm_settings, sessionmaker)
    assert isinstance(sender, FcmSender)
    yield sender
    await sender.close()
