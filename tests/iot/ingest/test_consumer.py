"""The consumer against the real broker and a database of its own: stored exactly once, dead letters with
the consumer still running, latest state, snapshots, and a killed database connection."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random
from datetime import UTC, datetime, timedelta

from PIL import Image

from core.settings import Settings
from iot.simulator.publisher import Connection
from iot.types import DeadLetterReason as R
from tests.iot.ingest.conftest import ConsumerFactory
from tests.iot.ingest.support import LiveDb, Message, publish, raw, telemetry, topic, wait_until


async def test_readings_are_stored_exactly_once(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection
) -> None:
    devices = await live_db.add_devices(25)
    messages = [telemetry(device, seq) for seq in range(120) for device in devices]
    # Redeliveries carry the identical payload: a tenth of the messages again, in another order.
    again = random.Random(5).sample(messages, 300)
    async with consumer() as running:
        await publish(gateway, messages + again)
        await wait_until("3000 readings", lambda: _count_is(live_db, devices, 3000), within=60)
        await wait_until("all received", lambda: running.metrics.received._value.get() >= 3300, within=20)
    assert await live_db.readings(devices) == 3000
    duplicated = await live_db.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM device_readings GROUP BY device_id, seq HAVING count(*) > 1) d"
    )
    assert duplicated == 0
    assert running.metrics.duplicates._value.get() == 300
    states = await live_db.rows(
        "SELECT device_id::text AS id, seq, metrics, last_seen_at FROM device_state "
        "WHERE device_id = ANY($1::uuid[])",
        devices,
    )
    assert sorted(s["id"] for s in states) == sorted(devices)
    assert {s["seq"] for s in states} == {119}
    assert all(json.loads(s["metrics"]) == {"pm25": 119.0, "pm10": 12.5} for s in states)


async def _count_is(live_db: LiveDb, devices: list[str], expected: int) -> bool:
    return await live_db.readings(devices) == expected


async def test_every_dead_letter_reason_and_the_consumer_goes_on(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection, live_settings: Settings
) -> None:
    sensor = await live_db.add_device()
    retired = await live_db.add_device(status="decommissioned")
    stranger = "00000000-0000-4000-8000-00000000beef"
    now = datetime.now(UTC)
    ok = {"ts": now.isoformat(), "seq": 1, "metrics": {"pm25": 1}}
    bad: list[tuple[R, Message]] = [
        (R.MALFORMED_JSON, raw(sensor, "telemetry", b"{not json")),
        (R.SCHEMA_VIOLATION, raw(sensor, "telemetry", {**ok, "seq": "one"})),
        (
            R.NON_FINITE_VALUE,
            raw(
                sensor,
                "telemetry",
                b'{"ts": "%s", "seq": 2, "metrics": {"pm25": NaN}}' % now.isoformat().encode(),
            ),
        ),
        (R.FUTURE_TIMESTAMP, raw(sensor, "telemetry", {**ok, "ts": (now + timedelta(days=2)).isoformat()})),
        (R.STALE_TIMESTAMP, raw(sensor, "telemetry", {**ok, "ts": (now - timedelta(days=40)).isoformat()})),
        (R.OVERSIZED_PAYLOAD, raw(sensor, "telemetry", b" " * (live_settings.ingest_max_payload_bytes + 1))),
        (R.UNKNOWN_DEVICE, raw(stranger, "telemetry", ok)),
        (R.DECOMMISSIONED_DEVICE, raw(retired, "telemetry", ok)),
        (R.SCHEMA_VIOLATION, raw(sensor, "event", {**ok, "type": "fire", "confidence": 0.5})),
    ]
    unknown_topic = (f"city/v1/devices/{sensor[:8]}-not-a-uuid/telemetry", json.dumps(ok).encode())
    async with consumer() as running:
        await publish(gateway, [m for _, m in bad] + [unknown_topic])
        await wait_until(
            "dead letters", lambda: _dead_count(live_db, [sensor, retired, stranger], len(bad)), within=30
        )
        # Still running, and still storing.
        await publish(gateway, [telemetry(sensor, 10)])
        await wait_until(
            "a good reading after the bad ones", lambda: _count_is(live_db, [sensor], 1), within=30
        )
        assert not running.task.done()
    letters = await live_db.dead([sensor, retired, stranger])
    assert sorted(row["reason"] for row in letters) == sorted(reason.value for reason, _ in bad)
    oversized = next(row for row in letters if row["reason"] == R.OVERSIZED_PAYLOAD)
    assert oversized["payload_bytes"] == live_settings.ingest_max_payload_bytes + 1
    assert len(oversized["payload"]) == 2048
    malformed = next(row for row in letters if row["reason"] == R.MALFORMED_JSON)
    assert (malformed["payload"], malformed["topic"]) == ("{not json", topic(sensor))
    topics = await live_db.rows(
        "SELECT reason FROM ingest_dead_letters WHERE device_ref = $1", f"{sensor[:8]}-not-a-uuid"
    )
    assert [row["reason"] for row in topics] == [R.UNKNOWN_TOPIC]


async def _dead_count(live_db: LiveDb, refs: list[str], expected: int) -> bool:
    return len(await live_db.dead(refs)) >= expected


async def test_latest_state_merges_metrics_and_records_status(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection
) -> None:
    device = await live_db.add_device()
    async with consumer() as running:
        await publish(gateway, [telemetry(device, 5, pm25=10.0), telemetry(device, 6, no2=3.0)])
        await wait_until("two readings", lambda: _count_is(live_db, [device], 2), within=30)
        # An older message arriving late neither moves the state back nor overrides newer values.
        await publish(
            gateway,
            [
                telemetry(device, 4, pm25=99.0, o3=1.0),
                raw(device, "status", {"ts": datetime.now(UTC).isoformat(), "seq": 7, "state": "offline"}),
            ],
        )
        await wait_until("status", lambda: _reported(live_db, device), within=30)
        assert not running.task.done()
    # The status went out retained: clear it, or every later subscriber of the broker receives it.
    await publish(gateway, [(f"city/v1/devices/{device}/status", b"")])
    state = (await live_db.rows("SELECT * FROM device_state WHERE device_id = $1::uuid", device))[0]
    assert state["seq"] == 6
    assert json.loads(state["metrics"]) == {"pm25": 10.0, "no2": 3.0, "o3": 1.0}
    assert state["reported_state"] == "offline"
    assert state["reported_at"] is not None
    assert state["last_seen_at"] >= state["reported_at"] - timedelta(seconds=1)


async def _reported(live_db: LiveDb, device: str) -> bool:
    value = await live_db.scalar("SELECT reported_state FROM device_state WHERE device_id = $1::uuid", device)
    return bool(value == "offline")


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_a_camera_event_with_its_snapshot(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection, live_settings: Settings
) -> None:
    camera = await live_db.add_device("camera_traffic")
    ts = datetime.now(UTC).isoformat()
    event = {
        "ts": ts,
        "seq": 3,
        "type": "red_light",
        "confidence": 0.93,
        "plate": "18A-123.45",
        "bbox": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25},
        "attributes": {"lane": 2},
        "snapshot": _png(),
    }
    broken = {**event, "seq": 4, "snapshot": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 100).decode()}
    async with consumer():
        await publish(
            gateway, [raw(camera, "event", event), raw(camera, "event", event), raw(camera, "event", broken)]
        )
        await wait_until("two events", lambda: _events(live_db, camera, 2), within=30)
    rows = await live_db.rows(
        "SELECT e.*, ST_Equals(e.location, d.location) AS same_place FROM device_camera_events e "
        "JOIN devices d ON d.id = e.device_id WHERE e.device_id = $1::uuid ORDER BY seq",
        camera,
    )
    assert [row["seq"] for row in rows] == [3, 4]
    first, second = rows
    assert (first["type"], first["plate"], first["same_place"], first["ward_code"]) == (
        "red_light",
        "18A-123.45",
        True,
        "13666",
    )
    assert json.loads(first["bbox"]) == {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25}
    assert json.loads(first["attributes"]) == {"lane": 2}
    stored = list(live_settings.media_root.rglob("*"))
    assert any(first["snapshot_key"] in str(path) for path in stored)
    # An image that does not decode costs the snapshot, not the detection.
    assert second["snapshot_key"] is None
    state = await live_db.rows(
        "SELECT last_event_type, last_event_at FROM device_state WHERE device_id = $1::uuid", camera
    )
    assert state[0]["last_event_type"] == "red_light"


async def _events(live_db: LiveDb, camera: str, expected: int) -> bool:
    count = await live_db.scalar(
        "SELECT count(*) FROM device_camera_events WHERE device_id = $1::uuid", camera
    )
    return bool(count == expected)


async def test_a_device_registered_after_start_is_accepted_at_once(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection
) -> None:
    first = await live_db.add_device()
    async with consumer():
        await publish(gateway, [telemetry(first, 1)])
        await wait_until("cache loaded", lambda: _count_is(live_db, [first], 1), within=30)
        late = await live_db.add_device()
        await publish(gateway, [telemetry(late, 1)])
        await wait_until("the new device's reading", lambda: _count_is(live_db, [late], 1), within=30)
    assert await live_db.dead([late]) == []


async def test_a_killed_database_connection_loses_nothing(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection
) -> None:
    devices = await live_db.add_devices(50)
    messages = [telemetry(device, seq) for seq in range(80) for device in devices]
    async with consumer(ingest_batch_size=200) as running:
        publishing = asyncio.create_task(publish(gateway, messages))
        await wait_until("some stored", lambda: _at_least(live_db, devices, 500), within=30)
        killed = 0
        # A connection killed between two batches is found closed and replaced before the next one, with no
        # retry; one killed under a batch makes that batch fail and be retried. Kill until one batch was hit,
        # while the messages still flow.
        while running.metrics.retries._value.get() < 1 and not publishing.done():
            killed += await live_db.scalar(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'smartcity-ingest'"
            )
            await asyncio.sleep(0.05)
        await publishing
        await wait_until("4000 readings", lambda: _count_is(live_db, devices, 4000), within=60)
        assert killed >= 1
        assert running.metrics.retries._value.get() >= 1
    assert await live_db.readings(devices) == 4000


async def _at_least(live_db: LiveDb, devices: list[str], expected: int) -> bool:
    return await live_db.readings(devices) >= expected
