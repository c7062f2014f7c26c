"""One active instance per database: the lock, the standby, the take-over, and ticks that survive failures."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.background.singleton import every, run_singleton
from tests.support.events import eventually

log = logging.getLogger("tests.singleton")


class Instance:
    """One process's job: counts the times it became active, and is active while inside its body."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.activations = 0
        self.active = False

    async def body(self, connection: AsyncConnection) -> None:
        self.activations += 1
        self.active = True
        try:
            await self.stop.wait()
        finally:
            self.active = False


@asynccontextmanager
async def running(
    engine: AsyncEngine,
    instance: Instance,
    lock_key: int,
    *,
    body: Callable[..., Awaitable[None]] | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(
        run_singleton(
            engine,
            instance.stop,
            name="test job",
            lock_key=lock_key,
            standby_seconds=0.02,
            active=body or instance.body,
            log=log,
        )
    )
    try:
        yield task
    finally:
        instance.stop.set()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


def lock_key() -> int:
    # A key of this test's own: no other lock of the suite, nor a worker on the same database, meets it.
    return secrets.randbelow(2**62)


async def test_one_instance_is_active_and_the_standby_takes_over_when_it_stops(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    key = lock_key()
    first, second = Instance(), Instance()
    with caplog.at_level(logging.INFO, logger="tests.singleton"):
        async with running(engine, first, key):
            await eventually(lambda: _true(first.active), "the first instance to become active")
            async with running(engine, second, key) as second_task:
                await eventually(
                    lambda: _true(any("standing by" in r.getMessage() for r in caplog.records)),
                    "the second instance to find the lock taken",
                )
                assert not second.active
                first.stop.set()
                await eventually(lambda: _true(second.active), "the standby to take over")
                assert (first.activations, second.activations) == (1, 1)
                second.stop.set()
                await asyncio.wait_for(second_task, 15)
    assert not second.active


async def test_a_failing_body_is_retried_on_a_new_connection(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    instance = Instance()
    attempts: list[int] = []

    async def body(connection: AsyncConnection) -> None:
        attempts.append(id(connection))
        if len(attempts) < 3:
            raise ConnectionError("the lock's connection went away")
        await instance.body(connection)

    with caplog.at_level(logging.ERROR, logger="tests.singleton"):
        async with running(engine, instance, lock_key(), body=body):
            await eventually(lambda: _true(instance.active), "the third attempt to become active")
    assert len(attempts) == 3
    assert sum("test job lost its database connection" in r.getMessage() for r in caplog.records) == 2


async def test_a_stop_ends_a_standby_without_it_ever_becoming_active(engine: AsyncEngine) -> None:
    key = lock_key()
    holder, waiter = Instance(), Instance()
    async with running(engine, holder, key):
        await eventually(lambda: _true(holder.active), "the holder to become active")
        async with running(engine, waiter, key) as waiting:
            waiter.stop.set()
            await asyncio.wait_for(waiting, 15)
        assert waiter.activations == 0


async def test_every_runs_on_after_a_failed_tick_and_stops_on_time(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    ticks: list[int] = []

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise RuntimeError("one bad tick")
        if len(ticks) == 3:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="tests.singleton"):
        await asyncio.wait_for(every(0.01, stop, tick, log=log, what="test tick"), 15)
    assert ticks == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records if r.name == "tests.singleton"] == ["test tick failed"]


async def test_every_ends_when_the_lock_connection_is_gone(engine: AsyncEngine) -> None:
    stop = asyncio.Event()
    ticks: list[int] = []
    async with engine.connect() as lock_connection, engine.connect() as other:
        pid = await lock_connection.scalar(text("SELECT pg_backend_pid()"))
        await lock_connection.commit()

        async def tick() -> None:
            ticks.append(len(ticks))
            if len(ticks) == 2:
                # The server ends the lock's session, as a restart or a network cut would.
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await other.commit()

        with pytest.raises(DBAPIError):
            await asyncio.wait_for(
                every(0.01, stop, tick, log=log, what="t", lock_connection=lock_connection), 15
            )
    assert ticks == [0, 1]


async def _true(value: bool) -> bool:
    return value
