"""The worker's incidents loop: one active instance per database, sweeping until stopped."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.worker import LOOPS
from core.settings import Settings
from ioc.incidents.tasks import INCIDENTS_LOCK_KEY, run_incidents
from tests.support.events import DEADLINE_SECONDS, eventually

_HELD = text("""
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND classid = :high AND objid = :low AND objsubid = 1
""")


async def test_the_worker_runs_the_incidents_loop_until_stopped(
    migrated: Settings, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    assert LOOPS["incidents"] is run_incidents
    stop = asyncio.Event()
    settings = migrated.model_copy(update={"ioc_incidents_sweep_seconds": 0.05})
    key = {"high": INCIDENTS_LOCK_KEY >> 32, "low": INCIDENTS_LOCK_KEY & 0xFFFF_FFFF}

    async def held() -> bool:
        async with engine.connect() as connection:
            return bool(await connection.scalar(_HELD, key))

    with caplog.at_level(logging.WARNING, logger="smartcity"):
        task = asyncio.create_task(run_incidents(settings, stop))
        try:
            await eventually(held, "the incidents loop holds its lock")
        finally:
            stop.set()
            await asyncio.wait_for(task, DEADLINE_SECONDS)
    assert task.exception() is None
    assert not await held()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
