"""`smartcity ingest` as a process: it stores, serves its metrics, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from pathlib import Path

import httpx

from core.settings import PROJECT_ROOT, Settings
from iot.simulator.publisher import Connection
from tests.iot.ingest.support import LiveDb, clear_session, publish, telemetry, wait_until

SMARTCITY = Path(sys.executable).parent / "smartcity"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_command_stores_serves_metrics_and_stops_on_sigterm(
    live_db: LiveDb, gateway: Connection, live_settings: Settings
) -> None:
    devices = await live_db.add_devices(10)
    client_id = f"ingest-cli-{uuid.uuid4().hex[:10]}"
    port = _free_port()
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": live_settings.database_dsn,
        "SMARTCITY_INGEST_METRICS_PORT": str(port),
        "SMARTCITY_INGEST_BATCH_SECONDS": "0.05",
        "SMARTCITY_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        str(SMARTCITY),
        "ingest",
        "--client-id",
        client_id,
        "--group",
        f"g{uuid.uuid4().hex[:12]}",
        env=env,
        cwd=PROJECT_ROOT,
    )
    try:
        async with httpx.AsyncClient() as http:
            await wait_until("metrics served", lambda: _serving(http, port), within=20)
            # Serving metrics does not mean subscribed yet: probe until a message gets through.
            await _until_subscribed(gateway, live_db, devices[0])
            await publish(gateway, [telemetry(device, seq) for seq in range(1, 21) for device in devices])
            await wait_until("200 readings", lambda: _stored(live_db, devices, 200), within=30)
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        assert 'ingest_messages_stored_total{kind="telemetry"}' in text
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.to_thread(clear_session, live_settings, client_id)


async def _serving(http: httpx.AsyncClient, port: int) -> bool:
    try:
        return (await http.get(f"http://127.0.0.1:{port}/metrics")).status_code == 200
    except httpx.TransportError:
        return False


async def _until_subscribed(gateway: Connection, live_db: LiveDb, device: str) -> None:
    for attempt in range(15):
        await publish(gateway, [telemetry(device, PROBE_SEQ + attempt)])
        try:
            await wait_until("probe stored", lambda: _probes(live_db, device), within=2)
            return
        except AssertionError:
            continue
    raise AssertionError("the consumer never received a probe")


PROBE_SEQ = 10_000


async def _probes(live_db: LiveDb, device: str) -> bool:
    found = await live_db.scalar(
        "SELECT count(*) FROM device_readings WHERE device_id = $1::uuid AND seq >= $2", device, PROBE_SEQ
    )
    return bool(found > 0)


async def _stored(live_db: LiveDb, devices: list[str], expected: int) -> bool:
    """Exactly `expected` readings besides the probes."""
    count = await live_db.scalar(
        "SELECT count(*) FROM device_readings WHERE device_id = ANY($1::uuid[]) AND seq < $2",
        devices,
        PROBE_SEQ,
    )
    return bool(count == expected)
