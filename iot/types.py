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
