"""One simulated device: its readings, camera events and status messages, with its sequence counter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from iot.simulator import incidents, patterns, payloads
from iot.simulator.publisher import Message
from iot.types import CAMERA_TYPES, CameraEventType, DeviceState, DeviceType

# Routine detections of a traffic camera, each with its chance per report.
_TRAFFIC_EVENTS = (
    (CameraEventType.RED_LIGHT, 0.05),
    (CameraEventType.SPEEDING, 0.04),
    (CameraEventType.ILLEGAL_PARKING, 0.02),
)


def seeded(seed: float) -> random.Random:
    """The simulation's randomness: reproducible from a seed, not meant for secrets."""
    return random.Random(seed)  # noqa: S311 - simulated readings, not secrets


def first_seq(now: datetime) -> int:
    """Where a device's counter starts: microseconds since the epoch, so a device reused in a later run keeps
    counting upwards without the simulator remembering where it stopped."""
    return int(now.timestamp() * 1_000_000)


@dataclass(frozen=True, slots=True)
class SimDevice:
    id: str  # canonical lowercase UUID
    type: DeviceType
    index: int  # position among the devices of its type; index 0 carries the scripted incidents


@dataclass
class DeviceRun:
    """What one device publishes over a simulation. `step` is called at each report time."""

    device: SimDevice
    started: datetime
    seq: int
    rng: random.Random
    incidents_on: bool = True
    timeline: incidents.Timeline = incidents.DEFAULT
    interval_s: float = 60.0
    last_elapsed: float = -1.0
    offline: bool = field(default=False)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def status(self, now: datetime, state: DeviceState) -> Message:
        return payloads.topic(self.device.id, "status"), payloads.status(now, self.next_seq(), state.value)

    def step(self, now: datetime) -> list[Message]:
        """The messages due at `now`: a reading, and any camera events. Empty once the device is offline."""
        elapsed = (now - self.started).total_seconds()
        kind, index = self.device.type, self.device.index
        before, self.last_elapsed = self.last_elapsed, elapsed
        if self.incidents_on and incidents.goes_offline(kind, index, elapsed, self.timeline):
            self.offline = True
            return []
        reading = patterns.metrics(kind, now, self.rng, interval_s=self.interval_s)
        if self.incidents_on:
            reading = incidents.adjust(kind, index, elapsed, reading, self.timeline)
        out: list[Message] = [
            (payloads.topic(self.device.id, "telemetry"), payloads.telemetry(now, self.next_seq(), reading))
        ]
        if kind in CAMERA_TYPES:
            out += self._events(now, before, elapsed)
        return out

    def _events(self, now: datetime, before: float, elapsed: float) -> list[Message]:
        topic = payloads.topic(self.device.id, "event")
        out: list[Message] = []
        if self.incidents_on:
            for planned in incidents.events_between(
                self.device.type, self.device.index, before, elapsed, self.timeline
            ):
                snapshot = payloads.snapshot_jpeg(self.rng) if planned.with_snapshot else None
                bbox = {"x": 0.34, "y": 0.12, "w": 0.3, "h": 0.45}
                body = payloads.event(
                    now,
                    self.next_seq(),
                    planned.kind.value,
                    planned.confidence,
                    bbox=bbox,
                    snapshot=snapshot,
                    attributes=planned.attributes,
                )
                out.append((topic, body))
        if self.device.type is DeviceType.CAMERA_TRAFFIC:
            for kind, chance in _TRAFFIC_EVENTS:
                if self.rng.random() < chance:
                    box = {
                        "x": round(self.rng.uniform(0, 0.7), 3),
                        "y": round(self.rng.uniform(0.3, 0.7), 3),
                        "w": 0.2,
                        "h": 0.15,
                    }
                    body = payloads.event(
                        now,
                        self.next_seq(),
                        kind.value,
                        self.rng.uniform(0.7, 0.99),
                        plate=payloads.plate(self.rng),
                        bbox=box,
                    )
                    out.append((topic, body))
        return out
