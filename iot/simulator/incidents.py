"""The scripted incidents, on a timeline counted from the start of a simulation, so the IOC has something
to show within minutes: rising water on a street up to flooding, a smoke detection with a snapshot, a PM2.5
spike, and a camera going offline. Each falls on the first device (index 0) of its type."""

from __future__ import annotations

from dataclasses import dataclass

from iot.simulator.patterns import aqi_pm25
from iot.types import CameraEventType, DeviceType


@dataclass(frozen=True, slots=True)
class Timeline:
    """Offsets in seconds from the start of the simulation."""

    smoke_at: float = 20.0
    flood_start: float = 30.0
    flood_rise: float = 120.0  # seconds from the first rise to the peak
    flood_peak_cm: float = 45.0  # water over the kerb: the street is flooded
    flood_rain_mm: float = 22.0
    pm25_start: float = 40.0
    pm25_end: float = 100.0
    pm25_peak: float = 285.0
    camera_offline_at: float = 60.0


DEFAULT = Timeline()
INCIDENT_INDEX = 0


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    kind: CameraEventType
    confidence: float
    with_snapshot: bool
    attributes: dict[str, str]


def adjust(
    kind: DeviceType, index: int, elapsed: float, metrics: dict[str, float], timeline: Timeline = DEFAULT
) -> dict[str, float]:
    """The reading with the incident applied, if one is under way on this device at `elapsed`."""
    if index != INCIDENT_INDEX:
        return metrics
    if kind is DeviceType.WATER_LEVEL and elapsed >= timeline.flood_start:
        share = min(1.0, (elapsed - timeline.flood_start) / timeline.flood_rise)
        base = metrics["level_cm"]
        return {
            **metrics,
            "level_cm": round(base + share * (timeline.flood_peak_cm - base), 1),
            "rain_mm": timeline.flood_rain_mm,
        }
    if kind is DeviceType.AIR_QUALITY and timeline.pm25_start <= elapsed < timeline.pm25_end:
        pm25 = timeline.pm25_peak
        return {**metrics, "pm25": pm25, "pm10": round(pm25 * 1.4, 1), "aqi": float(aqi_pm25(pm25))}
    return metrics


def events_between(
    kind: DeviceType, index: int, before: float, elapsed: float, timeline: Timeline = DEFAULT
) -> list[PlannedEvent]:
    """Scripted camera events whose time falls in (before, elapsed]."""
    smoke_now = before < timeline.smoke_at <= elapsed
    if index == INCIDENT_INDEX and kind is DeviceType.CAMERA_SECURITY and smoke_now:
        return [PlannedEvent(CameraEventType.SMOKE, 0.93, True, {"zone": "entrance"})]
    return []


def goes_offline(kind: DeviceType, index: int, elapsed: float, timeline: Timeline = DEFAULT) -> bool:
    """True from the moment the traffic camera drops off the network (it then stays silent)."""
    late = elapsed >= timeline.camera_offline_at
    return index == INCIDENT_INDEX and kind is DeviceType.CAMERA_TRAFFIC and late
