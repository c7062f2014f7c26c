"""Fixtures of the consumer tests: a database of their own (the consumer commits in its own connections),
a gateway identity allowed to publish as any device, and consumers with unique client ids and groups."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from core.settings import Settings
from iot.ingest.hooks import BatchHook
from iot.ingest.metrics import IngestMetrics
from iot.ingest.runner import run_ingest
from iot.ingest.source import Source
from iot.ingest.writer import asyncpg_dsn
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator.publisher import Connection
from tests.iot.ingest.support import LiveDb, clear_session, seed_units, truncate, wait_until
from tests.support.stack import prepare_database

TABLES = (
    "device_readings, device_readings_hourly, device_camera_events, device_state, ingest_dead_letters, "
    "devices"
)

ConsumerFactory = Callable[..., AbstractAsyncContextManager["RunningConsumer"]]


@pytest.fixture(scope="session")
def live_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test settings on a database of their own (`<test database>_live`), created and migrated once."""
    url = urlsplit(settings.database_dsn)
    live = url._replace(path=f"{url.path}_live")
    live_settings = settings.model_copy(
        update={
            "database_url": type(settings.database_url)(urlunsplit(live)),
            "media_root": tmp_path_factory.mktemp("ingest-media"),
            "ingest_metrics_port": 0,
            "ingest_batch_seconds": 0.05,
        }
    )
    prepare_database(live_settings)
    asyncio.run(seed_units(live_settings))
    return live_settings


@pytest.fixture
async def live_db(live_settings: Settings) -> AsyncIterator[LiveDb]:
    """A connection to the live database, its device and telemetry tables emptied (units kept)."""
    connection = await asyncpg.connect(asyncpg_dsn(live_settings))
    await truncate(connection, TABLES)
    try:
        yield LiveDb(connection)
    finally:
        await truncate(connection, TABLES)
        await connection.close()


@pytest.fixture(scope="session")
def gateway(live_settings: Settings) -> Iterator[Connection]:
    """Broker credentials that may publish on every device's topics (as a field gateway would)."""
    username = f"ingest-tests-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)

    async def create() -> None:
        admin = BrokerAdmin(live_settings)
        try:
            await admin.ensure_gateway(username, password)
        finally:
            await admin.close()

    async def delete() -> None:
        admin = BrokerAdmin(live_settings)
        try:
            await admin.delete_client(username)
        finally:
            await admin.close()

    asyncio.run(create())
    yield Connection(
        live_settings.mqtt_host, live_settings.mqtt_port, username, password, client_id=f"{username}-pub"
    )
    asyncio.run(delete())


class RunningConsumer:
    def __init__(
        self,
        task: asyncio.Task[None],
        stop: asyncio.Event,
        metrics: IngestMetrics,
        client_id: str,
        group: str,
    ) -> None:
        self.task = task
        self.stop = stop
        self.metrics = metrics
        self.client_id = client_id
        self.group = group
        self.source: Source | None = None


@pytest.fixture
def consumer(live_settings: Settings, live_db: LiveDb) -> ConsumerFactory:
    """`async with consumer() as running:` an in-process consumer with a unique client id and group (and
    the batch hook given, if any); its broker session is removed afterwards so it cannot hoard later
    messages."""

    @asynccontextmanager
    async def start(
        group: str | None = None, hook: BatchHook | None = None, **overrides: object
    ) -> AsyncIterator[RunningConsumer]:
        settings = live_settings.model_copy(update=overrides) if overrides else live_settings
        client_id = f"ingest-test-{uuid.uuid4().hex[:12]}"
        group = group or f"g{uuid.uuid4().hex[:12]}"
        stop = asyncio.Event()
        metrics = IngestMetrics()
        holder: list[Source] = []
        task = asyncio.create_task(
            run_ingest(
                settings,
                stop,
                client_id=client_id,
                group=group,
                metrics=metrics,
                ready=holder.append,
                hook=hook,
            )
        )
        running = RunningConsumer(task, stop, metrics, client_id, group)
        try:
            await wait_until(
                "consumer subscribed",
                lambda: bool(holder) and holder[0].subscribed.is_set(),
                within=15,
                task=task,
            )
            running.source = holder[0]
            yield running
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await asyncio.to_thread(clear_session, settings, client_id)

    return start
