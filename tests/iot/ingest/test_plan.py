"""A batch folded into rows: one latest state per device, older readings never winning, dead letters kept."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime

from iot.ingest.devices import DeviceCache, DeviceInfo
from iot.ingest.plan import build
from iot.ingest.source import Received

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
TS = "2026-11-22T08:00:00Z"
SENSOR = uuid.UUID("0b8e6a8e-6f0e-4c2a-9d55-0c1f0d3b9a11")
CAMERA = uuid.UUID("1c9f7b9f-7a1f-4d3b-8e66-1d2e1e4c0b22")
RETIRED = uuid.UUID("2d0a8c0a-8b2a-4e4c-9f77-2e3f2f5d1c33")


def cache() -> DeviceCache:
    devices = DeviceCache()
    devices.add(DeviceInfo(SENSOR, "air_quality", "active"))
    devices.add(DeviceInfo(CAMERA, "camera_traffic", "maintenance"))
    devices.add(DeviceInfo(RETIRED, "noise", "decommissioned"))
    return devices


def message(device: uuid.UUID, kind: str, body: dict[str, object], mid: int = 1) -> Received:
    return Received(1, mid, f"city/v1/devices/{device}/{kind}", json.dumps(body).encode(), time.time())


def test_the_latest_state_folds_the_batch() -> None:
    plan = build(
        [
            message(SENSOR, "telemetry", {"ts": "2026-11-22T08:00:00Z", "seq": 5, "metrics": {"pm25": 10}}),
            message(SENSOR, "telemetry", {"ts": "2026-11-22T08:01:00Z", "seq": 6, "metrics": {"no2": 3}}),
            message(
                SENSOR,
                "telemetry",
                {"ts": "2026-11-21T23:59:00Z", "seq": 4, "metrics": {"pm25": 99, "o3": 1}},
            ),
            message(SENSOR, "status", {"ts": "2026-11-22T08:01:00Z", "seq": 7, "state": "online"}),
        ],
        cache(),
        received=NOW,
        max_payload_bytes=65536,
        retention_days=30,
    )
    assert len(plan.readings) == 3
    fold = plan.folds[SENSOR]
    assert (fold.seq, fold.metrics, fold.state) == (6, {"pm25": 10, "no2": 3, "o3": 1}, "online")
    assert fold.document is None
    assert plan.days() == [date(2026, 11, 21), date(2026, 11, 22)]


def test_a_single_reading_keeps_its_document_as_sent() -> None:
    sent = message(SENSOR, "telemetry", {"ts": "2026-11-22T08:00:00Z", "seq": 1, "metrics": {"pm25": 35.20}})
    plan = build([sent], cache(), received=NOW, max_payload_bytes=65536, retention_days=30)
    assert plan.folds[SENSOR].document == sent.payload.decode()
    assert plan.readings[0][3] == sent.payload.decode()


def test_cameras_only_for_events_and_registry_status() -> None:
    event = {"ts": TS, "seq": 1, "type": "fire", "confidence": 0.5}
    plan = build(
        [
            message(SENSOR, "event", event),
            message(CAMERA, "event", event),
            message(RETIRED, "telemetry", {"ts": TS, "seq": 1, "metrics": {"a": 1}}),
            message(uuid.uuid4(), "status", {"ts": TS, "seq": 1, "state": "online"}),
        ],
        cache(),
        received=NOW,
        max_payload_bytes=65536,
        retention_days=30,
    )
    assert [device for device, _ in plan.events] == [CAMERA]
    assert plan.dead_reasons() == {"schema_violation": 1, "decommissioned_device": 1, "unknown_device": 1}
    # A refused message does not count as the device being seen.
    assert set(plan.folds) == {CAMERA}


def test_dead_letter_rows_are_storable() -> None:
    bad = Received(1, 1, f"city/v1/devices/{SENSOR}/telemetry", b"\x00\xff" * 3000, time.time())
    plan = build([bad], cache(), received=NOW, max_payload_bytes=65536, retention_days=30)
    (row,) = plan.dead
    received_at, topic, ref, reason, detail, payload, size = row
    assert (topic, ref, reason, size) == (bad.topic, str(SENSOR), "malformed_json", 6000)
    assert "\x00" not in payload
    assert len(payload) == 2048
    assert received_at.tzinfo is UTC
    assert detail


def test_a_cleared_retained_status_is_neither_stored_nor_dead() -> None:
    cleared = Received(1, 1, f"city/v1/devices/{SENSOR}/status", b"", time.time())
    empty_reading = Received(1, 2, f"city/v1/devices/{SENSOR}/telemetry", b"", time.time())
    plan = build([cleared, empty_reading], cache(), received=NOW, max_payload_bytes=65536, retention_days=30)
    assert plan.folds == {}
    # Only the status topic has retained messages to clear: an empty reading is still malformed.
    assert plan.dead_reasons() == {"malformed_json": 1}
