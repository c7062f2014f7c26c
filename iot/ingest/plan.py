"""One batch of received messages turned into rows: readings, camera events, latest states, dead letters.

Building the plan is the consumer's per-message work, so it stays plain: one `decode` per message, a dict
lookup in the device cache, a few list appends. Per device, the latest state of the batch is folded here,
once, so the database sees one row per device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from iot.ingest.decode import (
    DETAIL_CHARS,
    CameraDetection,
    DeadLetter,
    StatusReport,
    Telemetry,
    decode,
)
from iot.ingest.devices import DeviceCache
from iot.ingest.source import Received
from iot.telemetry.models import DEAD_LETTER_PAYLOAD_CHARS
from iot.types import DeadLetterReason

# How many messages per batch feed the publish-to-commit histogram.
DELAY_SAMPLES: Final = 64


@dataclass(slots=True)
class DeviceFold:
    """The batch's contribution to one device's latest state."""

    seq: int | None = None
    ts: datetime | None = None
    metrics: dict[str, float] | None = None
    # A JSON object with the merged metrics under "metrics": the reading's own document while the device
    # has one reading in the batch (the common case), re-encoded only when several were merged.
    document: str | None = None
    seen: float = 0.0
    state: str | None = None
    state_wall: float = 0.0
    event_type: str | None = None
    event_ts: datetime | None = None


@dataclass(slots=True)
class Plan:
    # (device_id, ts, seq, document whose "metrics" member is stored): the COPY records.
    readings: list[tuple[Any, datetime, int, str]] = field(default_factory=list)
    # The metrics of each reading, in the same order (for a batch hook; the same dicts decode made).
    reading_metrics: list[dict[str, float]] = field(default_factory=list)
    events: list[tuple[Any, CameraDetection]] = field(default_factory=list)
    statuses: int = 0
    # (received_at, topic, device_ref, reason, detail, payload, payload_bytes)
    dead: list[tuple[datetime, str, str | None, str, str, str, int]] = field(default_factory=list)
    # Dead letters over their device's budget, by reason: counted, not written.
    dead_dropped: dict[str, int] = field(default_factory=dict)
    folds: dict[Any, DeviceFold] = field(default_factory=dict)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    samples: list[datetime] = field(default_factory=list)

    def days(self) -> list[date]:
        """The UTC days the readings fall on (their partitions must exist)."""
        if self.first_ts is None or self.last_ts is None:
            return []
        first = self.first_ts.astimezone(UTC).date()
        last = self.last_ts.astimezone(UTC).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def dead_reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.dead:
            counts[row[3]] = counts.get(row[3], 0) + 1
        return counts


def dead_row(
    message: Received, reason: DeadLetterReason | str, detail: str, device_ref: str | None
) -> tuple[datetime, str, str | None, str, str, str, int]:
    payload = message.payload
    text = payload[: DEAD_LETTER_PAYLOAD_CHARS * 4].decode("utf-8", "replace")[:DEAD_LETTER_PAYLOAD_CHARS]
    return (
        datetime.fromtimestamp(message.wall, UTC),
        _clean(message.topic, 256),
        None if device_ref is None else _clean(device_ref, 64),
        str(reason),
        _clean(detail, DETAIL_CHARS),
        _clean(text, None),
        len(payload),
    )


def _clean(text: str, limit: int | None) -> str:
    # PostgreSQL text refuses NUL; lone surrogates cannot be encoded.
    text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text if limit is None else text[:limit]


def build(
    batch: list[Received],
    cache: DeviceCache,
    *,
    received: datetime,
    max_payload_bytes: int,
    retention_days: int,
    may_dead_letter: Callable[[str], bool] | None = None,
) -> Plan:
    """The batch's rows. `may_dead_letter(topic)` says whether one more dead letter of that topic's device
    may be written; the others are counted in `dead_dropped` (a retried batch asks again, so a retry may
    write fewer: the bound is what matters)."""
    plan = _build(batch, cache, received, max_payload_bytes, retention_days)
    if may_dead_letter is not None and plan.dead:
        kept = []
        for row in plan.dead:
            if may_dead_letter(row[1]):
                kept.append(row)
            else:
                plan.dead_dropped[row[3]] = plan.dead_dropped.get(row[3], 0) + 1
        plan.dead = kept
    return plan


def _build(
    batch: list[Received],
    cache: DeviceCache,
    received: datetime,
    max_payload_bytes: int,
    retention_days: int,
) -> Plan:
    plan = Plan()
    readings = plan.readings
    reading_metrics = plan.reading_metrics
    folds = plan.folds
    get = cache.get
    first_ts = last_ts = None
    step = max(1, len(batch) // DELAY_SAMPLES)
    for index, message in enumerate(batch):
        if not message.payload and message.topic.endswith("/status"):
            # An empty retained message is how MQTT deletes a retained status; subscribers receive it too.
            # It says nothing about the device: acknowledged, nothing stored.
            continue
        item = decode(
            message.topic,
            message.payload,
            received=received,
            max_payload_bytes=max_payload_bytes,
            retention_days=retention_days,
        )
        if type(item) is DeadLetter:
            plan.dead.append(dead_row(message, item.reason, item.detail, item.device_ref))
            continue
        assert not isinstance(item, DeadLetter)
        device = get(item.device_ref)
        if device is None:
            plan.dead.append(
                dead_row(
                    message, DeadLetterReason.UNKNOWN_DEVICE, "not in the device registry", item.device_ref
                )
            )
            continue
        if device.decommissioned:
            plan.dead.append(
                dead_row(
                    message,
                    DeadLetterReason.DECOMMISSIONED_DEVICE,
                    "the device is decommissioned",
                    item.device_ref,
                )
            )
            continue
        if type(item) is CameraDetection and not device.is_camera:
            plan.dead.append(
                dead_row(
                    message, DeadLetterReason.SCHEMA_VIOLATION, "events are for cameras only", item.device_ref
                )
            )
            continue
        fold = folds.get(device.id)
        if fold is None:
            fold = folds[device.id] = DeviceFold()
        if message.wall > fold.seen:
            fold.seen = message.wall
        ts = item.ts
        if index % step == 0:
            plan.samples.append(ts)
        if type(item) is Telemetry:
            readings.append((device.id, ts, item.seq, item.document))
            reading_metrics.append(item.metrics)
            if first_ts is None or ts < first_ts:
                first_ts = ts
            if last_ts is None or ts > last_ts:
                last_ts = ts
            if fold.metrics is None:
                fold.seq, fold.ts, fold.metrics, fold.document = item.seq, ts, item.metrics, item.document
            else:
                if fold.document is not None:
                    fold.metrics, fold.document = dict(fold.metrics), None
                if fold.seq is None or item.seq > fold.seq:
                    fold.seq, fold.ts = item.seq, ts
                    fold.metrics.update(item.metrics)
                else:
                    # An older reading adds the metrics the newer ones lacked and overrides none.
                    for name, value in item.metrics.items():
                        fold.metrics.setdefault(name, value)
        elif type(item) is StatusReport:
            plan.statuses += 1
            if message.wall >= fold.state_wall:
                fold.state = item.state
                fold.state_wall = message.wall
        else:
            assert isinstance(item, CameraDetection)
            plan.events.append((device.id, item))
            if fold.event_ts is None or ts >= fold.event_ts:
                fold.event_ts = ts
                fold.event_type = item.type
    plan.first_ts, plan.last_ts = first_ts, last_ts
    return plan
