"""`smartcity worker` as a real process: it relays committed events to the Redis Stream and delivers queued
push notifications through the default (outbox) sender, then stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.errors import Message
from core.events.outbox import emit
from core.push.service import enqueue_to_topic
from core.settings import PROJECT_ROOT, Settings
from tests.support.events import envelope, eventually


@pytest.fixture
async def worker_env(settings: Settings, engine: AsyncEngine) -> AsyncIterator[dict[str, str]]:
    stream = f"test:worker:{uuid.uuid4().hex}"
    async with engine.connect() as connection:
        outbox_start = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM event_outbox"))
    yield {
        **os.environ,
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": settings.redis_dsn,
        "SMARTCITY_EVENTS_STREAM": stream,
        "SMARTCITY_RELAY_POLL_SECONDS": "0.2",
    }
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM event_outbox WHERE id > :start"), {"start": outbox_start})
        await connection.execute(
            text(
                "DELETE FROM push_outbox WHERE notification_id IN "
                "(SELECT id FROM notifications WHERE topic LIKE 'unit-98777-%')"
            )
        )
        await connection.execute(text("DELETE FROM notifications WHERE topic LIKE 'unit-98777-%'"))
    redis = Redis.from_url(settings.redis_dsn)
    await redis.delete(stream)
    await redis.aclose()


async def test_worker_relays_events_and_sends_pushes_then_stops(
    settings: Settings, engine: AsyncEngine, worker_env: dict[str, str]
) -> None:
    committed = async_sessionmaker(engine, expire_on_commit=False)
    event = envelope("announcements.published", "98777", data={"title_vi": "Thử"})
    async with committed() as session:
        await emit(session, event)
        await enqueue_to_topic(session, "unit-98777", title=Message("Thử", "Test"), body=Message("a", "b"))
        await session.commit()

    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "smartcity"),
        "worker",
        cwd=PROJECT_ROOT,
        env=worker_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    redis = Redis.from_url(settings.redis_dsn)
    try:

        async def relayed() -> bool:
            entries = await redis.xrange(worker_env["SMARTCITY_EVENTS_STREAM"]) or []
            values = [value for _, fields in entries for value in (fields or {}).values()]
            return any(str(event.id) in (v.decode() if isinstance(v, bytes) else v) for v in values)

        async def pushed() -> bool:
            async with committed() as session:
                return await _sent(session) == 2

        await eventually(relayed, "the event reached the Redis Stream", seconds=30)
        await eventually(pushed, "both language topics were sent through the outbox sender", seconds=30)
    finally:
        await redis.aclose()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert b"worker stopped" in output


async def _sent(session: AsyncSession) -> int:
    count = await session.scalar(
        text(
            "SELECT count(*) FROM notifications n JOIN push_outbox o ON o.notification_id = n.id "
            "WHERE n.topic LIKE 'unit-98777-%' AND n.status = 'sent'"
        )
    )
    return int(count or 0)
