"""Fixtures of the event tests and the live channel's (WebSocket gateway, worker process) tests.

The conftest of each of those folders imports the ones its tests use.

The relay and the WebSocket gateway must see committed rows, so these fixtures commit to the test database
and remove what they wrote afterwards: outbox rows written during the test, the test province's
announcements and units. Each test gets its own Redis Stream key, deleted at the end.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import uvicorn
from redis.asyncio import Redis
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from core.db import create_sessionmaker
from core.events.relay import Relay
from core.settings import Settings
from core.units.models import UnitLevel
from core.units.repository import UnitWrite, upsert_units
from tests.support.events import PROVINCE, WARD_A, WARD_B, eventually


@pytest.fixture
async def stream_redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_dsn)
    yield client
    await client.aclose()


@pytest.fixture
async def events_settings(settings: Settings, stream_redis: Redis) -> AsyncIterator[Settings]:
    """The test settings with a stream of this test's own."""
    key = f"test:events:{uuid.uuid4().hex}"
    yield settings.model_copy(update={"events_stream": key})
    await stream_redis.delete(key)


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions whose commits are real; outbox rows written meanwhile are deleted afterwards."""
    async with engine.connect() as connection:
        start = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM event_outbox"))
    yield create_sessionmaker(engine)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM event_outbox WHERE id > :start"), {"start": start})


@pytest.fixture
async def units(committed: async_sessionmaker[AsyncSession], engine: AsyncEngine) -> AsyncIterator[None]:
    """A committed test province with two wards (codes no real unit uses)."""

    def unit(code: str, level: UnitLevel, parent: str | None, west: float, east: float) -> UnitWrite:
        return UnitWrite(
            code=code,
            name=f"Test {code}",
            name_en=f"Test {code}",
            level=level,
            parent_code=parent,
            boundary_wkb=box(west, 20.0, east, 21.0).wkb,
            demo_geometry=True,
        )

    async with committed() as session:
        await upsert_units(
            session,
            [
                unit(PROVINCE, UnitLevel.PROVINCE, None, 105.0, 106.0),
                unit(WARD_A, UnitLevel.WARD, PROVINCE, 105.0, 105.5),
                unit(WARD_B, UnitLevel.WARD, PROVINCE, 105.5, 106.0),
            ],
        )
        await session.commit()
    yield
    async with engine.begin() as connection:
        codes = {"codes": [PROVINCE, WARD_A, WARD_B]}
        await connection.execute(text("DELETE FROM announcements WHERE unit_code = ANY(:codes)"), codes)
        # Announcements are pushed to their unit's topics too; those queued notifications go as well.
        await connection.execute(
            text(
                "DELETE FROM push_outbox WHERE notification_id IN "
                "(SELECT id FROM notifications WHERE data->>'unit_code' = ANY(:codes))"
            ),
            codes,
        )
        await connection.execute(
            text("DELETE FROM notifications WHERE data->>'unit_code' = ANY(:codes)"), codes
        )
        # Incidents the centre's reactions made in these units (they name their unit).
        await connection.execute(
            text(
                "DELETE FROM incidents WHERE unit_code IN "
                "(SELECT code FROM admin_units WHERE code = :p OR parent_code = :p)"
            ),
            {"p": PROVINCE},
        )
        await connection.execute(text("DELETE FROM admin_units WHERE parent_code = :p"), {"p": PROVINCE})
        await connection.execute(text("DELETE FROM admin_units WHERE code = :p"), {"p": PROVINCE})


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Settings], Awaitable[str]]]:
    """Start the real app under uvicorn in this process, on a free loopback port; returns host:port."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(settings: Settings) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(settings), lifespan="on", log_config=None, access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task))

        async def started() -> bool:
            if task.done():
                task.result()  # raise the server's error rather than wait for the deadline
            return server.started

        await eventually(started, "the server to start")
        return f"127.0.0.1:{port}"

    yield start
    for server, _ in running:
        server.should_exit = True
    for _, task in running:
        async with asyncio.timeout(30):
            await task


@dataclass
class RunningRelay:
    relay: Relay
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.stop_event.set()
        async with asyncio.timeout(30):
            await self.task


@pytest.fixture
async def relays(engine: AsyncEngine) -> AsyncIterator[Callable[[Settings], RunningRelay]]:
    """Start relays in this process (each with its own Redis client); all are stopped at the end."""
    started: list[tuple[RunningRelay, Redis]] = []

    def start(settings: Settings) -> RunningRelay:
        redis = Redis.from_url(settings.redis_dsn, socket_timeout=2, socket_connect_timeout=2)
        relay = Relay(settings, engine, redis)
        stop = asyncio.Event()
        running = RunningRelay(relay, stop, asyncio.create_task(relay.run(stop)))
        started.append((running, redis))
        return running

    yield start
    for running, redis in started:
        await running.stop()
        await redis.aclose()
