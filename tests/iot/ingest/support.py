"""Helpers of the consumer tests: devices in the live database, publishing as devices, polling."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.db import create_engine, create_sessionmaker
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units, read_document
from iot.simulator.publisher import Connection, PublishStats, publish_all
from tests.feedback.support import IN_WARD, PROVINCE, WARD

Message = tuple[str, bytes]


async def seed_units(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await import_units(session, read_document(PROJECT_ROOT / "data" / "demo_province.geojson"))
            await session.commit()
    finally:
        await engine.dispose()


@dataclass
class LiveDb:
    connection: Any

    async def add_device(self, type_: str = "air_quality", status: str = "active") -> str:
        device_id = uuid.uuid4()
        lat, lon = IN_WARD
        await self.connection.execute(
            "INSERT INTO devices (id, type, name, location, ward_code, province_code, status, "
            "decommissioned_at) "
            "VALUES ($1, $2, 'test device', ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7::text, "
            "CASE WHEN $7::text = 'decommissioned' THEN now() END)",
            device_id,
            type_,
            lon,
            lat,
            WARD,
            PROVINCE,
            status,
        )
        return str(device_id)

    async def add_devices(self, count: int, type_: str = "air_quality") -> list[str]:
        ids = [uuid.uuid4() for _ in range(count)]
        lat, lon = IN_WARD
        await self.connection.execute(
            "INSERT INTO devices (id, type, name, location, ward_code, province_code) "
            "SELECT id, $2, 'test device', ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6 "
            "FROM unnest($1::uuid[]) AS id",
            ids,
            type_,
            lon,
            lat,
            WARD,
            PROVINCE,
        )
        return [str(i) for i in ids]

    async def scalar(self, sql: str, *args: Any) -> Any:
        return await self.connection.fetchval(sql, *args)

    async def rows(self, sql: str, *args: Any) -> list[Any]:
        return list(await self.connection.fetch(sql, *args))

    async def readings(self, devices: Iterable[str]) -> int:
        return int(
            await self.scalar(
                "SELECT count(*) FROM device_readings WHERE device_id = ANY($1::uuid[])", list(devices)
            )
        )

    async def dead(self, refs: Iterable[str]) -> list[Any]:
        return await self.rows(
            "SELECT * FROM ingest_dead_letters WHERE device_ref = ANY($1::text[]) ORDER BY id", list(refs)
        )


def now_ts() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def topic(device: str, kind: str = "telemetry") -> str:
    return f"city/v1/devices/{device}/{kind}"


def telemetry(device: str, seq: int, ts: str | None = None, **metrics: float) -> Message:
    body = {"ts": ts or now_ts(), "seq": seq, "metrics": metrics or {"pm25": float(seq % 500), "pm10": 12.5}}
    return topic(device), json.dumps(body).encode()


def raw(device: str, kind: str, payload: bytes | dict[str, Any]) -> Message:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return topic(device, kind), data


async def publish(gateway: Connection, messages: list[Message]) -> PublishStats:
    """QoS 1 through the gateway identity; every message must be accepted by the broker."""
    conn = Connection(
        gateway.host,
        gateway.port,
        gateway.username,
        gateway.password,
        client_id=f"{gateway.client_id}-{uuid.uuid4().hex[:8]}",
    )
    # A deadline, so a consumer that never subscribed fails the test instead of the publisher retrying
    # its 0x10 answers for ever.
    stats = await asyncio.to_thread(publish_all, conn, messages, stop_at=time.time() + 120)
    assert stats.acked == len(messages), stats
    assert stats.failed == 0, stats
    return stats


async def wait_until(
    what: str,
    check: Callable[[], bool | Awaitable[bool]],
    *,
    within: float,
    task: asyncio.Task[Any] | None = None,
) -> None:
    """Poll `check` until true; fail after `within` seconds (or at once if `task` ended)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if task is not None and task.done():
            task.result()
            raise AssertionError(f"{what}: the consumer stopped")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


async def truncate(connection: Any, tables: str, attempts: int = 5) -> None:
    """Empty `tables` (CASCADE) while live processes may be reading them.

    TRUNCATE takes its exclusive locks one table at a time, so a process that reads two of these tables in
    one statement can deadlock with it; PostgreSQL then aborts one side, and this side tries again.
    """
    for attempt in range(attempts):
        try:
            await connection.execute(f"TRUNCATE {tables} CASCADE")
            return
        except asyncpg.DeadlockDetectedError:
            if attempt == attempts - 1:
                raise


def clear_session(settings: Settings, client_id: str, timeout: float = 10.0) -> None:
    """Forget a consumer's broker session (clean start, no expiry): it must not hoard later messages."""
    acked: list[bool] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(settings.mqtt_username, settings.mqtt_password.get_secret_value())
    client.on_connect = lambda c, u, flags, rc, props: acked.append(not rc.is_failure)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    client.connect(settings.mqtt_host, settings.mqtt_port, clean_start=True, properties=properties)
    deadline = time.monotonic() + timeout
    while not acked and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    client.loop(0.1)
    assert acked == [True], f"could not clear the broker session of {client_id}"
