"""Fixtures of the push tests: a controllable clock, the dispatcher, and the FCM fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.push.dispatcher import Dispatcher, build_sender
from core.push.fcm import FcmSender
from core.push.senders import PushSender
from core.settings import Settings
from tests.core.push.fcm_fake import FcmFake
from tests.support.push import rows

# Fixtures defined with the helpers they return, shared with the tests of the device routes.
__all__ = ["rows"]


class Clock:
    """The dispatcher's clock, moved by the test instead of waited for."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def clock(connection: AsyncConnection) -> Clock:
    # The test's transaction time: rows it enqueues (next_attempt_at = now()) are due at once.
    start = await connection.scalar(text("SELECT now()"))
    assert isinstance(start, datetime)
    return Clock(start)


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
