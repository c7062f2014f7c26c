"""Closed vocabularies of the device registry, stored as strings with CHECK constraints."""

from enum import StrEnum


class DeviceType(StrEnum):
    CAMERA_TRAFFIC = "camera_traffic"
    CAMERA_SECURITY = "camera_security"
    AIR_QUALITY = "air_quality"
    WATER_LEVEL = "water_level"
    NOISE = "noise"


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    DECOMMISSIONED = "decommissioned"


def one_of(column: str, values: type[StrEnum]) -> str:
    """SQL for `column IN (...)` over every value of `values`."""
    listed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({listed})"


# How often a device of each type is expected to publish at least once (telemetry or a camera heartbeat).
# A device is offline after OFFLINE_AFTER_INTERVALS of these with nothing received; a device's metadata may
# set its own `report_interval_seconds`.
REPORT_INTERVAL_SECONDS: dict[DeviceType, int] = {
    DeviceType.CAMERA_TRAFFIC: 30,
    DeviceType.CAMERA_SECURITY: 30,
    DeviceType.AIR_QUALITY: 60,
    DeviceType.WATER_LEVEL: 60,
    DeviceType.NOISE: 60,
}
OFFLINE_AFTER_INTERVALS = 3

CAMERA_TYPES = frozenset({DeviceType.CAMERA_TRAFFIC, DeviceType.CAMERA_SECURITY})


class CameraEventType(StrEnum):
    """What a camera may report on its event topic."""

    # Traffic cameras.
    RED_LIGHT = "red_light"
    WRONG_WAY = "wrong_way"
    SPEEDING = "speeding"
    ILLEGAL_PARKING = "illegal_parking"
    ACCIDENT = "accident"
    CONGESTION = "congestion"
    # Security cameras.
    INTRUSION = "intrusion"
    CROWD = "crowd"
    FIRE = "fire"
    SMOKE = "smoke"
    LOITERING = "loitering"
    ABANDONED_OBJECT = "abandoned_object"


class DeviceState(StrEnum):
    """What a device says on its status topic (retained; `offline` is also its MQTT last will)."""

    ONLINE = "online"
    OFFLINE = "offline"


class DeadLetterReason(StrEnum):
    """Why the consumer set a message aside instead of storing it."""

    MALFORMED_JSON = "malformed_json"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_DEVICE = "unknown_device"
    DECOMMISSIONED_DEVICE = "decommissioned_device"
    NON_FINITE_VALUE = "non_finite_value"
    FUTURE_TIMESTAMP = "future_timestamp"
    # Older than the readings' retention: its day's partition is gone or about to be.
    STALE_TIMESTAMP = "stale_timestamp"
    OVERSIZED_PAYLOAD = "oversized_payload"
    UNKNOWN_TOPIC = "unknown_topic"


# The metrics each type of device reports (what the simulator and the field devices send). Alert rules may
# only name these, so that a rule cannot wait forever for a metric no device of its type has.
KNOWN_METRICS: dict[DeviceType, frozenset[str]] = {
    DeviceType.WATER_LEVEL: frozenset({"level_cm", "rain_mm"}),
    DeviceType.AIR_QUALITY: frozenset({"pm25", "pm10", "no2", "o3", "co", "temperature", "humidity", "aqi"}),
    DeviceType.NOISE: frozenset({"laeq_db", "lmax_db"}),
    DeviceType.CAMERA_TRAFFIC: frozenset({"vehicle_count", "avg_speed_kmh"}),
    DeviceType.CAMERA_SECURITY: frozenset({"people_count"}),
}
