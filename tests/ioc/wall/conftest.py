"""Fixtures of the wall's end-to-end tests: a live stack of real processes (`smartcity serve`, `worker` and
`ingest`) on the consumers' live database with an event stream of its own, and a fresh Chromium per test.

What the tests write (people, rules, alarms, devices, events) is emptied around each test by the live
fixtures they reuse. The stack lives for one test module: its consumer (in a group of its own, so it gets
every message on the broker) and its worker (with every singleton loop's advisory lock) must not outlive the
wall's tests, or they would store other tests' readings and hold the locks other tests look for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright
from redis import Redis

from core.settings import Settings
from tests.ioc.rules.live.conftest import live_rules
from tests.ioc.wall.support import CHROMIUM, CHROMIUM_ARGS, WALL_SIZE, Stack, background, wait_serving
from tests.iot.ingest.conftest import gateway, live_db, live_settings
from tests.iot.ingest.support import clear_session
from tests.support.events import free_port
from tests.support.server import running_server

__all__ = ["gateway", "live_db", "live_rules", "live_settings", "page", "stack"]


@pytest.fixture(scope="module")
def stack(live_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("wall-logs")
    stream = f"test:wall:{uuid.uuid4().hex}"
    env = {
        "SMARTCITY_DATABASE_URL": live_settings.database_dsn,
        "SMARTCITY_REDIS_URL": live_settings.redis_dsn,
        "SMARTCITY_EVENTS_STREAM": stream,
        "SMARTCITY_SECRET_KEY": live_settings.secret_key.get_secret_value(),
        "SMARTCITY_MEDIA_ROOT": str(live_settings.media_root),
        "SMARTCITY_RELAY_POLL_SECONDS": "0.2",
        "SMARTCITY_INGEST_BATCH_SECONDS": "0.05",
        "SMARTCITY_LOG_LEVEL": "WARNING",
    }
    client_id = f"wall-ingest-{uuid.uuid4().hex[:10]}"
    metrics_port = free_port()
    ingest_env = {**env, "SMARTCITY_INGEST_METRICS_PORT": str(metrics_port)}
    ingest_args = ["ingest", "--client-id", client_id, "--group", f"g{uuid.uuid4().hex[:12]}"]
    try:
        with (
            running_server(live_settings, logs / "api.log", env) as server,
            background("worker", ["worker"], env, logs),
            background("ingest", ingest_args, ingest_env, logs) as ingest,
        ):
            wait_serving(f"http://127.0.0.1:{metrics_port}/metrics", ingest)
            yield Stack(base=f"http://127.0.0.1:{server.port}", env=env, logs=Path(logs))
    finally:
        clear_session(live_settings, client_id)
        redis = Redis.from_url(live_settings.redis_dsn)
        redis.delete(stream)
        redis.close()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    """A new Chromium with a fresh profile, a wall-sized window and Vietnamese as the browser's language."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=WALL_SIZE,
            locale="vi-VN",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            yield page
        finally:
            await asyncio.wait_for(context.close(), 30)
