"""The consumer's message checks: every dead-letter reason, and nothing ever raises."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import mobile_contract
from iot.ingest.decode import CameraDetection, DeadLetter, StatusReport, Telemetry, decode, parse_topic
from iot.types import DeadLetterReason as R

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
DEVICE = "0b8e6a8e-6f0e-4c2a-9d55-0c1f0d3b9a11"
TELEMETRY = f"city/v1/devices/{DEVICE}/telemetry"
EVENT = f"city/v1/devices/{DEVICE}/event"
STATUS = f"city/v1/devices/{DEVICE}/status"
TS = "2026-11-22T08:29:59.250Z"


def run(topic: str, payload: bytes | str | dict[str, Any], **kwargs: Any) -> Any:
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    options = {"received": NOW, "max_payload_bytes": 64 * 1024, "retention_days": 30, **kwargs}
    return decode(topic, payload, **options)


def reading(**fields: Any) -> dict[str, Any]:
    return {"ts": TS, "seq": 7, "metrics": {"pm25": 35.2, "pm10": 51}, **fields}


def event(**fields: Any) -> dict[str, Any]:
    return {"ts": TS, "seq": 8, "type": "red_light", "confidence": 0.91, **fields}


def reason_of(result: Any) -> R:
    assert isinstance(result, DeadLetter), result
    return result.reason


def test_a_valid_reading() -> None:
    payload = json.dumps(reading(extra={"ignored": [1, 2]}))
    result = run(TELEMETRY, payload)
    assert result == Telemetry(
        DEVICE, datetime(2026, 11, 22, 8, 29, 59, 250000, tzinfo=UTC), 7, {"pm25": 35.2, "pm10": 51}, payload
    )


def test_a_payload_with_escapes_jsonb_may_refuse_is_not_stored_as_sent() -> None:
    result = run(TELEMETRY, reading(note="\u0000 \ud800"))
    assert isinstance(result, Telemetry)
    assert json.loads(result.document) == {"metrics": {"pm25": 35.2, "pm10": 51}}


def test_a_valid_status_and_event() -> None:
    status = run(STATUS, {"ts": TS, "seq": 1, "state": "offline"})
    assert isinstance(status, StatusReport)
    assert status.state == "offline"
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nxx").decode()
    detection = run(
        EVENT,
        event(
            plate="18A-123.45",
            bbox={"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4},
            attributes={"colour": "red"},
            snapshot=png,
        ),
    )
    assert isinstance(detection, CameraDetection)
    assert (detection.type, detection.confidence, detection.plate) == ("red_light", 0.91, "18A-123.45")
    assert detection.bbox == {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}
    assert detection.attributes == {"colour": "red"}
    assert detection.snapshot == b"\x89PNG\r\n\x1a\nxx"


def test_a_timestamp_with_an_offset_and_nanoseconds() -> None:
    result = run(TELEMETRY, reading(ts="2026-11-22T15:29:59.123456789+07:00"))
    assert isinstance(result, Telemetry)
    assert result.ts == datetime(2026, 11, 22, 8, 29, 59, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "topic",
    [
        "city/v1/devices",
        f"city/v2/devices/{DEVICE}/telemetry",
        f"city/v1/devices/{DEVICE}/command",
        f"city/v1/devices/{DEVICE}/telemetry/extra",
        f"city/v1/devices/{DEVICE.upper()}/telemetry",
        "city/v1/devices/not-a-uuid/telemetry",
        "city/v1/devices//telemetry",
        "",
        "#",
    ],
)
def test_unknown_topics(topic: str) -> None:
    assert reason_of(run(topic, reading())) == R.UNKNOWN_TOPIC


def test_the_device_ref_of_a_bad_id_is_kept_and_cut() -> None:
    result = parse_topic("city/v1/devices/" + "x" * 100 + "/telemetry")
    assert isinstance(result, DeadLetter)
    assert result.device_ref == "x" * 64


def test_oversized_before_anything_else() -> None:
    assert reason_of(run(TELEMETRY, b"{" * 2000, max_payload_bytes=1024)) == R.OVERSIZED_PAYLOAD
    assert isinstance(run(TELEMETRY, reading(), max_payload_bytes=1024), Telemetry)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b"\xff\xfe{}",
        b'{"ts": "\xc3\x28"}',
        b"{'single': 1}",
        b'{"ts": 1,}',
        b"[" * 30_000 + b"]" * 30_000,
        b'{"seq": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_json(payload: bytes) -> None:
    assert reason_of(run(TELEMETRY, payload)) == R.MALFORMED_JSON


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400])
def test_non_finite_metrics(value: str) -> None:
    payload = f'{{"ts": "{TS}", "seq": 1, "metrics": {{"pm25": {value}}}}}'
    assert reason_of(run(TELEMETRY, payload)) == R.NON_FINITE_VALUE


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400"])
def test_non_finite_confidence(value: str) -> None:
    payload = f'{{"ts": "{TS}", "seq": 1, "type": "fire", "confidence": {value}}}'
    assert reason_of(run(EVENT, payload)) == R.NON_FINITE_VALUE


def test_nan_anywhere_is_refused_since_it_is_not_json() -> None:
    payload = f'{{"ts": "{TS}", "seq": 1, "metrics": {{"pm25": 1}}, "extra": NaN}}'
    assert reason_of(run(TELEMETRY, payload)) == R.NON_FINITE_VALUE


@pytest.mark.parametrize(
    "ts",
    [
        None,
        1732264200,
        "",
        "yesterday",
        "2026-11-22",
        "2026-11-22T08:30:00",
        "2026-11-22T08:30Z",
        "2026-W47-1T08:30:00Z",
        "20261122T083000Z",
        "2026-13-01T00:00:00Z",
        "2026-11-22T25:00:00Z",
        "2026-11-22T08:30:00+0700",
        "0000-01-01T00:00:00Z",
        "2026-11-22T08:30:00Z\x00",
        ["2026-11-22T08:30:00Z"],
    ],
)
def test_bad_timestamps(ts: Any) -> None:
    assert reason_of(run(TELEMETRY, reading(ts=ts))) == R.SCHEMA_VIOLATION


def test_timestamps_at_the_edges_of_range() -> None:
    assert reason_of(run(TELEMETRY, reading(ts="9999-12-31T23:59:59-23:59"))) == R.FUTURE_TIMESTAMP
    assert reason_of(run(TELEMETRY, reading(ts="0001-01-01T00:00:00+23:59"))) == R.STALE_TIMESTAMP


def test_future_and_stale_timestamps() -> None:
    ahead = (NOW + timedelta(hours=24, seconds=1)).isoformat()
    assert reason_of(run(TELEMETRY, reading(ts=ahead))) == R.FUTURE_TIMESTAMP
    assert isinstance(run(TELEMETRY, reading(ts=(NOW + timedelta(hours=23)).isoformat())), Telemetry)
    old = (NOW - timedelta(days=30, seconds=1)).isoformat()
    assert reason_of(run(TELEMETRY, reading(ts=old))) == R.STALE_TIMESTAMP
    assert isinstance(run(TELEMETRY, reading(ts=(NOW - timedelta(days=29)).isoformat())), Telemetry)
    assert reason_of(run(STATUS, {"ts": ahead, "seq": 1, "state": "online"})) == R.FUTURE_TIMESTAMP


@pytest.mark.parametrize("seq", [None, -1, 2**63, 10**30, 1.0, "1", True, False, [1]])
def test_bad_sequence_numbers(seq: Any) -> None:
    assert reason_of(run(TELEMETRY, reading(seq=seq))) == R.SCHEMA_VIOLATION


def test_the_largest_sequence_number() -> None:
    result = run(TELEMETRY, reading(seq=2**63 - 1))
    assert isinstance(result, Telemetry)
    assert result.seq == 2**63 - 1


@pytest.mark.parametrize(
    "metrics",
    [
        None,
        [],
        {},
        "pm25=1",
        {"pm25": True},
        {"pm25": "35"},
        {"pm25": None},
        {"pm25": [1]},
        {"pm25": {"v": 1}},
        {"PM25": 1},
        {"1pm": 1},
        {"pm-25": 1},
        {"": 1},
        {"a" * 33: 1},
        {f"m{i}": 1 for i in range(33)},
        {"pm25\u0000": 1},
    ],
)
def test_bad_metrics(metrics: Any) -> None:
    assert reason_of(run(TELEMETRY, reading(metrics=metrics))) == R.SCHEMA_VIOLATION


def test_many_metrics_and_long_names_within_limits() -> None:
    metrics = {f"m{i}": i for i in range(31)} | {"a" * 32: -1.5e308}
    assert isinstance(run(TELEMETRY, reading(metrics=metrics)), Telemetry)


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "parade"},
        {"type": None},
        {"type": 3},
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"confidence": "0.9"},
        {"confidence": True},
        {"confidence": None},
        {"plate": 12345},
        {"plate": "X" * 21},
        {"plate": "18A\u0000"},
        {"plate": "\ud800"},
        {"bbox": [0, 0, 1, 1]},
        {"bbox": {"x": 0, "y": 0, "w": 1}},
        {"bbox": {"x": 0, "y": 0, "w": 1, "h": 2}},
        {"bbox": {"x": 0, "y": 0, "w": 1, "h": False}},
        {"attributes": "red"},
        {"attributes": [1]},
        {"attributes": {"note": "x" * 3000}},
        {"attributes": {"note": "\u0000"}},
        {"snapshot": 5},
        {"snapshot": "not base64!"},
        {"snapshot": ""},
        {"snapshot": "A" * 150_000},
        {"snapshot": base64.b64encode(b"x" * (48 * 1024 + 1)).decode()},
    ],
)
def test_bad_events(fields: dict[str, Any]) -> None:
    assert reason_of(run(EVENT, event(**fields), max_payload_bytes=200 * 1024)) == R.SCHEMA_VIOLATION


@pytest.mark.parametrize("state", [None, "ONLINE", "busy", 1, True])
def test_bad_status(state: Any) -> None:
    assert reason_of(run(STATUS, {"ts": TS, "seq": 1, "state": state})) == R.SCHEMA_VIOLATION


def test_deeply_nested_junk_in_an_ignored_field_is_harmless() -> None:
    nested: Any = 1
    for _ in range(50):
        nested = {"a": [nested]}
    assert isinstance(run(TELEMETRY, reading(junk=nested)), Telemetry)


@pytest.mark.parametrize(
    "payload",
    [
        bytes(range(256)),
        b"\x00" * 10,
        b'{"ts": "' + b"\xed\xa0\x80" + b'"}',
        b'{"metrics": {"\\ud800": 1}}',
        b'{"ts": "2026-11-22T08:30:00Z", "seq": 1, "metrics": {"pm25": 1e308, "pm10": -0.0}}',
    ],
)
def test_nothing_raises(payload: bytes) -> None:
    for topic in (TELEMETRY, EVENT, STATUS, "x"):
        result = run(topic, payload)
        assert isinstance(result, DeadLetter | Telemetry | CameraDetection | StatusReport)


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ("TelemetryPayload", "telemetry"),
        ("DeviceEventPayload", "event"),
        ("DeviceStatusPayload", "status"),
    ],
)
def test_the_published_examples_are_accepted(schema: str, kind: str) -> None:
    document = yaml.safe_load((Path(mobile_contract.__file__).parent / "asyncapi.yaml").read_text("utf-8"))
    examples = document["components"]["schemas"][schema]["examples"]
    assert examples
    for example in examples:
        received = datetime.fromisoformat(example["ts"]) + timedelta(seconds=1)
        result = run(f"city/v1/devices/{DEVICE}/{kind}", example, received=received)
        assert not isinstance(result, DeadLetter), (example, result)
