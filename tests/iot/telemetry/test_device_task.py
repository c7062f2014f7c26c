"""The worker's device task: one active instance, prompt stop, survives an unreachable database; a live
tick flips and lists devices in one transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import utcnow
from core.settings import Settings
from iot.telemetry.live_updates import LiveUpdates
from iot.telemetry.repository import partitions
from iot.telemetry.tasks import DEVICES_LOCK_KEY, live_tick, run_devices
from tests.iot.telemetry.support import add_device, events_of, set_state

_HOLDERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


async def _poll(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def _days(engine: AsyncEngine) -> set[date]:
    async with engine.connect() as connection:
        return await partitions.existing_days(connection)


async def test_one_instance_is_active_and_both_stop_promptly(engine: AsyncEngine, settings: Settings) -> None:
    days_before = await _days(engine)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_devices(settings, stop)) for _ in range(2)]

    async def one_holder() -> bool:
        async with engine.connect() as connection:
            return bool(await connection.scalar(_HOLDERS, {"key": DEVICES_LOCK_KEY & 0xFFFFFFFF}) == 1)

    async def partitions_ahead() -> bool:
        return set(partitions.days_ahead(utcnow().date())) <= await _days(engine)

    try:
        await _poll(one_holder)
        await _poll(partitions_ahead)  # the active one ran its upkeep
        await asyncio.sleep(0)
        assert not any(task.done() for task in tasks)
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        assert time.monotonic() - started < 5
        # The partitions this run made are the test's: remove them.
        async with engine.begin() as connection:
            for day in await partitions.existing_days(connection) - days_before:
                await connection.execute(text(f"DROP TABLE {partitions.partition_name(day)}"))
    async with engine.connect() as connection:
        assert await connection.scalar(_HOLDERS, {"key": DEVICES_LOCK_KEY & 0xFFFFFFFF}) == 0


async def test_an_unreachable_database_is_retried_not_fatal(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    closed = settings.model_copy(
        update={"database_url": SecretStr("postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none")}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_devices(closed, stop))

    async def retried() -> bool:
        return sum("retrying" in record.getMessage() for record in caplog.records) >= 2

    with caplog.at_level(logging.ERROR, logger="smartcity.iot.devices"):
        await _poll(retried)
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, timeout=5)


@pytest.mark.usefixtures("units")
async def test_a_live_tick_flips_and_lists_in_one_transaction(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, seq=3, metrics={"pm25": 4.0}, last_seen_at=now, updated_at=now)
    await session.commit()
    live = LiveUpdates()
    await live_tick(sessionmaker, live, now)
    assert [e["type"] for e in await events_of(session)] == ["devices.online", "devices.updated"]
    updated = (await events_of(session, "devices.updated"))[0]["data"]["devices"]
    assert [(d["id"], d["online"], d["seq"]) for d in updated] == [(str(device.id), True, 3)]
    # Confirmed: the next tick sends nothing for the same state.
    await live_tick(sessionmaker, live, now)
    assert len(await events_of(session)) == 2
