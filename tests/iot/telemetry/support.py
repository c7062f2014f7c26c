"""Helpers of the telemetry tests: devices, readings, states and dead letters written straight into the
database (the consumer is tested on its own), and the events the device task emitted."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from iot.registry import service as registry
from iot.registry.models import Device
from iot.registry.schemas import DeviceCreate, DevicePoint
from iot.telemetry.repository import partitions
from tests.iot.support import IN_WARD


async def add_device(
    session: AsyncSession,
    lat_lon: tuple[float, float] = IN_WARD,
    device_type: str = "air_quality",
    *,
    metadata: dict[str, Any] | None = None,
) -> Device:
    data = DeviceCreate.model_validate(
        {
            "type": device_type,
            "name": f"{device_type} {uuid.uuid4().hex[:6]}",
            "location": DevicePoint(lat=lat_lon[0], lon=lat_lon[1]),
            "metadata": metadata or {},
        }
    )
    return await registry.create_device(session, data)


async def add_readings(
    session: AsyncSession,
    device_id: uuid.UUID,
    readings: list[tuple[datetime, dict[str, Any]]],
    *,
    first_seq: int = 1,
) -> None:
    """Readings at the given moments (their partitions made first), seq counting up from first_seq."""
    connection = await session.connection()
    await partitions.ensure_days(connection, {ts.date() for ts, _ in readings})
    for offset, (ts, metrics) in enumerate(readings):
        await session.execute(
            text(
                "INSERT INTO device_readings (device_id, ts, seq, metrics) "
                "VALUES (:d, :ts, :seq, CAST(:m AS jsonb))"
            ),
            {"d": device_id, "ts": ts, "seq": first_seq + offset, "m": json.dumps(metrics)},
        )


async def set_state(session: AsyncSession, device_id: uuid.UUID, **fields: Any) -> None:
    """Write the device's latest state as the consumer would (`fields` over sensible defaults)."""
    now = utcnow()
    values: dict[str, Any] = {
        "seq": 1,
        "ts": now,
        "metrics": {},
        "last_seen_at": now,
        "reported_state": None,
        "reported_at": None,
        "online": False,
        "online_changed_at": None,
        "updated_at": now,
        **fields,
    }
    values["metrics"] = json.dumps(values["metrics"])
    columns = ", ".join(values)
    placeholders = ", ".join(
        f"CAST(:{name} AS jsonb)" if name == "metrics" else f":{name}" for name in values
    )
    updates = ", ".join(f"{name} = excluded.{name}" for name in values)
    await session.execute(
        text(
            f"INSERT INTO device_state (device_id, {columns}) VALUES (:device_id, {placeholders}) "  # noqa: S608
            f"ON CONFLICT (device_id) DO UPDATE SET {updates}"
        ),
        {"device_id": device_id, **values},
    )


async def add_dead_letter(
    session: AsyncSession,
    *,
    reason: str = "malformed_json",
    received_at: datetime | None = None,
    topic: str = "city/v1/devices/x/telemetry",
    payload: str = "{oops",
    device_ref: str | None = "x",
) -> int:
    return int(
        (
            await session.execute(
                text(
                    "INSERT INTO ingest_dead_letters "
                    "(received_at, topic, device_ref, reason, detail, payload, payload_bytes) "
                    "VALUES (:at, :topic, :ref, :reason, 'detail', :payload, :size) RETURNING id"
                ),
                {
                    "at": received_at or utcnow(),
                    "topic": topic,
                    "ref": device_ref,
                    "reason": reason,
                    "payload": payload,
                    "size": len(payload.encode()),
                },
            )
        ).scalar_one()
    )


async def events_of(session: AsyncSession, prefix: str = "devices.") -> list[dict[str, Any]]:
    """Outbox rows of the test's transaction whose type starts with `prefix`, in order."""
    rows = (
        await session.execute(
            text(
                "SELECT type, unit_code, subject_id, data, ST_Y(location) AS lat, ST_X(location) AS lon "
                "FROM event_outbox WHERE type LIKE :prefix ORDER BY id"
            ),
            {"prefix": prefix + "%"},
        )
    ).all()
    return [
        {
            "type": row.type,
            "unit_code": row.unit_code,
            "subject_id": row.subject_id,
            "data": row.data,
            "location": None if row.lat is None else {"lat": row.lat, "lon": row.lon},
        }
        for row in rows
    ]


async def count(session: AsyncSession, table: str) -> int:
    return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608
