"""From an MQTT message to what is stored: a reading, a camera detection, a status report, or a dead letter.

Pure functions on the hot path of the consumer: `json.loads` and hand-written checks, no model per message.
Nothing here raises on input, whatever the bytes; every refusal is a `DeadLetter` with the contract's reason.
The device registry is not consulted here (see devices.py): a message is first judged on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from iot.types import CameraEventType, DeadLetterReason, DeviceState

TOPIC_PREFIX: Final = "city/v1/devices/"
Kind = Literal["telemetry", "event", "status"]
KINDS: Final[frozenset[str]] = frozenset({"telemetry", "event", "status"})

MAX_SEQ: Final = 2**63 - 1
MAX_METRICS: Final = 32
MAX_PLATE: Final = 20
MAX_SNAPSHOT_BYTES: Final = 48 * 1024
MAX_ATTRIBUTES_BYTES: Final = 2 * 1024
FUTURE_TOLERANCE: Final = timedelta(hours=24)
# Detail texts fit the dead-letter column.
DETAIL_CHARS: Final = 500

_UUID: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_METRIC: Final = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# RFC 3339 with a mandatory offset; `datetime.fromisoformat` alone also takes week dates and basic formats.
_TS: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_EVENT_TYPES: Final[frozenset[str]] = frozenset(t.value for t in CameraEventType)
_STATES: Final[frozenset[str]] = frozenset(s.value for s in DeviceState)
_BBOX_KEYS: Final = ("x", "y", "w", "h")
# Python's floats overflow to infinity beyond this; a JSON integer past it cannot be stored as a number.
_FLOAT_MAX: Final = 1.7976931348623157e308
_SCHEMA: Final = DeadLetterReason.SCHEMA_VIOLATION
# Metric names already found valid: a set lookup instead of a regular expression per metric. Bounded, so a
# stream of made-up names cannot grow it without limit.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_MAX: Final = 4096
_MALFORMED: Final = DeadLetterReason.MALFORMED_JSON


@dataclass(slots=True)
class Telemetry:
    device_ref: str
    ts: datetime
    seq: int
    metrics: dict[str, float]
    # A JSON object text whose "metrics" member is `metrics`: the payload itself when PostgreSQL is sure to
    # take it as jsonb (saves re-encoding every reading), else a re-encoding of the metrics alone.
    document: str = ""


@dataclass(slots=True)
class CameraDetection:
    device_ref: str
    ts: datetime
    seq: int
    type: str
    confidence: float
    plate: str | None
    bbox: dict[str, float] | None
    attributes: dict[str, Any]
    # Decoded bytes of the snapshot; the image itself is checked (and re-encoded) when stored.
    snapshot: bytes | None


@dataclass(slots=True)
class StatusReport:
    device_ref: str
    ts: datetime
    seq: int
    state: str


@dataclass(slots=True)
class DeadLetter:
    reason: DeadLetterReason
    detail: str
    # The id as written in the topic, when the topic had one.
    device_ref: str | None = None


Decoded = Telemetry | CameraDetection | StatusReport


class _RefusedError(Exception):
    """Internal: unwinds the checks to the single place that turns it into a DeadLetter."""

    def __init__(self, reason: DeadLetterReason, detail: str) -> None:
        self.reason = reason
        self.detail = detail


class _NonFiniteError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity, which are not JSON and not storable.
    raise _NonFiniteError(name)


# One decoder for every message: json.loads with options builds a new one per call.
_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def parse_topic(topic: str) -> tuple[str, Kind] | DeadLetter:
    """`city/v1/devices/{uuid}/{kind}` -> (device_ref, kind)."""
    if not topic.startswith(TOPIC_PREFIX):
        return DeadLetter(DeadLetterReason.UNKNOWN_TOPIC, "not a device topic")
    parts = topic[len(TOPIC_PREFIX) :].split("/")
    ref = parts[0][:64] if parts else None
    if len(parts) != 2 or parts[1] not in KINDS:
        expected = "expected city/v1/devices/{id}/telemetry|event|status"
        return DeadLetter(DeadLetterReason.UNKNOWN_TOPIC, expected, ref)
    if _UUID.match(parts[0]) is None:
        return DeadLetter(DeadLetterReason.UNKNOWN_TOPIC, "device id is not a lowercase UUID", ref)
    kind: Kind = parts[1]  # type: ignore[assignment]
    return parts[0], kind


def decode(
    topic: str, payload: bytes, *, received: datetime, max_payload_bytes: int, retention_days: int
) -> Decoded | DeadLetter:
    """Judge one message. `received` is the aware UTC moment it arrived; timestamps are checked against it."""
    parsed = parse_topic(topic)
    if isinstance(parsed, DeadLetter):
        return parsed
    ref, kind = parsed
    try:
        if len(payload) > max_payload_bytes:
            raise _RefusedError(
                DeadLetterReason.OVERSIZED_PAYLOAD, f"{len(payload)} bytes exceeds {max_payload_bytes}"
            )
        text, body = _load(payload)
        ts = _timestamp(body.get("ts"), received, retention_days)
        seq = _seq(body.get("seq"))
        if kind == "telemetry":
            metrics = _metrics(body.get("metrics"))
            # jsonb refuses some escapes Python accepts (\u0000, lone surrogates) anywhere in the text.
            document = text if "\\u" not in text else json.dumps({"metrics": metrics})
            return Telemetry(ref, ts, seq, metrics, document)
        if kind == "status":
            state = body.get("state")
            if not isinstance(state, str) or state not in _STATES:
                raise _RefusedError(_SCHEMA, "state: expected 'online' or 'offline'")
            return StatusReport(ref, ts, seq, state)
        return _event(ref, ts, seq, body)
    except _RefusedError as refused:
        return DeadLetter(refused.reason, refused.detail[:DETAIL_CHARS], ref)
    except Exception as exc:  # the consumer must survive any input; record what happened
        return DeadLetter(DeadLetterReason.SCHEMA_VIOLATION, f"unreadable: {type(exc).__name__}", ref)


def _load(payload: bytes) -> tuple[str, dict[str, Any]]:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RefusedError(_MALFORMED, f"not UTF-8 at byte {exc.start}") from None
    try:
        body = _DECODER.decode(text)
    except _NonFiniteError as exc:
        raise _RefusedError(DeadLetterReason.NON_FINITE_VALUE, f"{exc} is not a JSON number") from None
    except RecursionError:
        raise _RefusedError(_MALFORMED, "nested too deeply") from None
    except ValueError as exc:
        # JSONDecodeError, and integers too long for Python to convert.
        raise _RefusedError(_MALFORMED, str(exc)[:200]) from None
    if not isinstance(body, dict):
        raise _RefusedError(_MALFORMED, f"expected a JSON object, got {type(body).__name__}")
    return text, body


def _timestamp(value: Any, received: datetime, retention_days: int) -> datetime:
    if not isinstance(value, str) or _TS.match(value) is None:
        raise _RefusedError(_SCHEMA, "ts: expected an RFC 3339 timestamp with offset")
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise _RefusedError(_SCHEMA, "ts: not a valid date and time") from None
    try:
        if ts > received + FUTURE_TOLERANCE:
            raise _RefusedError(DeadLetterReason.FUTURE_TIMESTAMP, f"ts {value} is more than 24 h ahead")
        if ts < received - timedelta(days=retention_days):
            detail = f"ts {value} is older than {retention_days} days"
            raise _RefusedError(DeadLetterReason.STALE_TIMESTAMP, detail)
    except OverflowError:
        # An offset that moves year 1 or 9999 out of range.
        raise _RefusedError(_SCHEMA, "ts: out of range") from None
    return ts


def _seq(value: Any) -> int:
    if type(value) is not int:
        raise _RefusedError(_SCHEMA, "seq: expected an integer")
    if not 0 <= value <= MAX_SEQ:
        raise _RefusedError(_SCHEMA, "seq: expected 0 <= seq < 2^63")
    return value


def _number(value: Any, field: str) -> float:
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            # 1e400 parses to inf.
            raise _RefusedError(DeadLetterReason.NON_FINITE_VALUE, f"{field}: not finite")
        return value  # type: ignore[no-any-return]
    if kind is int:
        if not -_FLOAT_MAX <= value <= _FLOAT_MAX:
            raise _RefusedError(DeadLetterReason.NON_FINITE_VALUE, f"{field}: overflows a double")
        return value  # type: ignore[no-any-return]
    # bool is a subclass of int, excluded by the exact type test above.
    raise _RefusedError(_SCHEMA, f"{field}: expected a number")


def _metrics(value: Any) -> dict[str, float]:
    if type(value) is not dict:
        raise _RefusedError(_SCHEMA, "metrics: expected an object")
    if not 1 <= len(value) <= MAX_METRICS:
        raise _RefusedError(_SCHEMA, f"metrics: expected 1 to {MAX_METRICS} entries")
    for name, number in value.items():
        if name not in _GOOD_NAMES:
            if type(name) is not str or _METRIC.match(name) is None:
                raise _RefusedError(_SCHEMA, f"metrics: invalid name {name[:40]!r}")
            if len(_GOOD_NAMES) < _GOOD_NAMES_MAX:
                _GOOD_NAMES.add(name)
        kind = type(number)
        if kind is not float or not math.isfinite(number):
            _number(number, f"metrics.{name}")
    return value


def _event(ref: str, ts: datetime, seq: int, body: dict[str, Any]) -> CameraDetection:
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in _EVENT_TYPES:
        raise _RefusedError(_SCHEMA, "type: not a known camera event type")
    confidence = _number(body.get("confidence"), "confidence")
    if not 0 <= confidence <= 1:
        raise _RefusedError(_SCHEMA, "confidence: expected 0..1")
    plate = body.get("plate")
    if plate is not None and (not isinstance(plate, str) or len(plate) > MAX_PLATE or not _storable(plate)):
        raise _RefusedError(_SCHEMA, f"plate: expected a string of at most {MAX_PLATE}")
    return CameraDetection(
        ref,
        ts,
        seq,
        kind,
        float(confidence),
        plate,
        _bbox(body.get("bbox")),
        _attributes(body.get("attributes")),
        _snapshot(body.get("snapshot")),
    )


def _bbox(value: Any) -> dict[str, float] | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _RefusedError(_SCHEMA, "bbox: expected an object {x, y, w, h}")
    box: dict[str, float] = {}
    for key in _BBOX_KEYS:
        number = _number(value.get(key), f"bbox.{key}")
        if not 0 <= number <= 1:
            raise _RefusedError(_SCHEMA, f"bbox.{key}: expected 0..1")
        box[key] = float(number)
    return box


def _attributes(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _RefusedError(_SCHEMA, "attributes: expected an object")
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    # PostgreSQL's jsonb refuses the NUL character (escaped as \u0000 by json.dumps), and UTF-8 refuses lone
    # surrogates.
    if "\\u0000" in text or not _storable(text) or len(text.encode("utf-8")) > MAX_ATTRIBUTES_BYTES:
        raise _RefusedError(_SCHEMA, "attributes: at most 2 KiB of storable JSON")
    return value


def _storable(text: str) -> bool:
    """Text PostgreSQL will take: no NUL, valid UTF-8 (no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _snapshot(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _RefusedError(_SCHEMA, "snapshot: expected a base64 string")
    # Base64 of 48 KiB; checked before decoding so a huge string costs nothing.
    if len(value) > (MAX_SNAPSHOT_BYTES + 2) // 3 * 4 + 4:
        raise _RefusedError(_SCHEMA, "snapshot: larger than 48 KiB")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _RefusedError(_SCHEMA, "snapshot: not valid base64") from None
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise _RefusedError(_SCHEMA, "snapshot: larger than 48 KiB")
    if not data:
        raise _RefusedError(_SCHEMA, "snapshot: empty")
    return data
