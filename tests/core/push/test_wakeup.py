"""The dispatcher wakes on the NOTIFY of a committed notification instead of waiting for its next poll, and
listens again after its listening connection is killed.

The poll period is 30 s here: a notification handed to the FCM fake within a few seconds of its commit was
claimed because of the wake-up. The rows are committed for real (NOTIFY is delivered only at commit) and the
user they belong to is deleted afterwards, which takes its devices and notifications with it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_sessionmaker
from core.errors import Message
from core.push import service
from core.push.dispatcher import Dispatcher, build_sender
from core.push.fcm import FcmSender
from core.push.models import Platform, PushLanguage
from core.settings import Settings
from tests.core.push.fcm_fake import FcmFake
from tests.support.events import eventually
from tests.support.push import fcm_token, make_user

POLL_SECONDS = 30.0
# Far below the poll period, and generous for a loaded machine.
WAKE_DEADLINE_SECONDS = 5.0
TITLE = Message("Cần người xử lý: ngập đường", "Dispatch: street flooding")
BODY = Message("Cách bạn 120 m", "120 m from you")


@pytest.fixture
async def committed(
    engine: AsyncEngine,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], uuid.UUID, str]]:
    """Real commits: a user with one phone; the user (with what hangs on it) is deleted afterwards."""
    sessions = create_sessionmaker(engine)
    token = fcm_token("wake")
    async with sessions() as session:
        user = await make_user(session)
        await service.register_device(
            session, user, "phone", token=token, platform=Platform.ANDROID, language=PushLanguage.EN
        )
        await session.commit()
    try:
        yield sessions, user, token
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user})


async def _queue(sessions: async_sessionmaker[AsyncSession], user: uuid.UUID) -> float:
    async with sessions() as session:
        await service.enqueue_to_user(session, user, title=TITLE, body=BODY, high_priority=True)
        await session.commit()
    return time.monotonic()


async def test_a_committed_notification_is_sent_long_before_the_next_poll(
    engine: AsyncEngine,
    fcm_settings: Settings,
    fcm: FcmFake,
    committed: tuple[async_sessionmaker[AsyncSession], uuid.UUID, str],
) -> None:
    sessions, user, token = committed
    sender = build_sender(fcm_settings, sessions)
    assert isinstance(sender, FcmSender)
    dispatcher = Dispatcher(
        sessions, sender, max_attempts=3, backoff_seconds=1.0, poll_seconds=POLL_SECONDS, listen_engine=engine
    )
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.wait_for(dispatcher.listening.wait(), timeout=WAKE_DEADLINE_SECONDS)
        await asyncio.wait_for(dispatcher.idle.wait(), timeout=WAKE_DEADLINE_SECONDS)

        committed_at = await _queue(sessions, user)

        def sent(count: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return len(fcm.sends_to(token)) >= count

            return check

        await eventually(sent(1), "the first push", seconds=WAKE_DEADLINE_SECONDS)
        assert time.monotonic() - committed_at < WAKE_DEADLINE_SECONDS

        # Kill the listening connection: the dispatcher listens again on a new one and still wakes at once.
        killed = dispatcher.listener_pid
        assert killed is not None
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})

        async def listening_again() -> bool:
            return dispatcher.listening.is_set() and dispatcher.listener_pid not in (None, killed)

        await eventually(listening_again, "a new listening connection", seconds=WAKE_DEADLINE_SECONDS)
        committed_at = await _queue(sessions, user)
        await eventually(sent(2), "the second push", seconds=WAKE_DEADLINE_SECONDS)
        assert time.monotonic() - committed_at < WAKE_DEADLINE_SECONDS
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await sender.close()
    async with sessions() as session:
        statuses = (
            await session.execute(text("SELECT status FROM notifications WHERE user_id = :u"), {"u": user})
        ).scalars()
        assert sorted(statuses) == ["sent", "sent"]


async def test_without_an_engine_to_listen_on_it_only_polls(
    engine: AsyncEngine, committed: tuple[async_sessionmaker[AsyncSession], uuid.UUID, str]
) -> None:
    sessions, _, _ = committed
    dispatcher = Dispatcher(sessions, None, max_attempts=3, backoff_seconds=1.0)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.wait_for(dispatcher.idle.wait(), timeout=WAKE_DEADLINE_SECONDS)
    assert not dispatcher.listening.is_set()
    stop.set()
    await asyncio.wait_for(task, timeout=10)
