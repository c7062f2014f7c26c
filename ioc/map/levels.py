"""Device levels for the map: 0 normal … 4 danger, from a device's latest reading, per type and metric.

A level is the band a reading falls in, counted by the thresholds it reaches: a reading at or above the
first threshold is level 1, at or above the fourth is level 4. The bands follow what the province acts on:
- water_level `level_cm` (standing water on the street): the flood rule warns above 30 cm and calls it major
  above 40 cm (data/ioc/rules.yaml), so 30 and 40 open levels 3 and 4;
- air_quality `pm25` (µg/m³): the Vietnamese AQI breakpoints (Quyết định 1459/QĐ-TCMT): AQI 50, 100, 150 and
  200 fall at 25, 50, 80 and 150 µg/m³ (good, moderate, poor, bad, very bad and worse);
- noise `laeq_db`: QCVN 26:2010/BTNMT allows 55 dBA at night and 70 dBA by day in ordinary areas.

The map computes levels in SQL (repository/levels_sql.py renders these tables as a CASE), so a tile never
walks its features in Python; `level_of` is the same rule for one value.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Message
from iot.types import DeviceType

LEVELS = range(5)

LEVEL_NAMES: dict[int, Message] = {
    0: Message("Bình thường", "Normal"),
    1: Message("Chú ý", "Watch"),
    2: Message("Cảnh báo", "Advisory"),
    3: Message("Nguy cơ cao", "Warning"),
    4: Message("Nguy hiểm", "Danger"),
}


@dataclass(frozen=True, slots=True)
class LevelScale:
    """The thresholds of one device type's metric: `thresholds[i]` opens level i + 1."""

    device_type: DeviceType
    metric: str
    unit: str
    thresholds: tuple[float, float, float, float]
    # What each level means for this metric, for legends (vi, en).
    names: tuple[Message, Message, Message, Message, Message]

    def level_of(self, value: float) -> int:
        return sum(1 for threshold in self.thresholds if value >= threshold)


SCALES: dict[DeviceType, LevelScale] = {
    DeviceType.WATER_LEVEL: LevelScale(
        DeviceType.WATER_LEVEL,
        "level_cm",
        "cm",
        (10.0, 20.0, 30.0, 40.0),
        (
            Message("Khô ráo", "Dry"),
            Message("Đọng nước", "Standing water"),
            Message("Ngập nhẹ", "Shallow flooding"),
            Message("Ngập", "Flooding"),
            Message("Ngập sâu", "Deep flooding"),
        ),
    ),
    DeviceType.AIR_QUALITY: LevelScale(
        DeviceType.AIR_QUALITY,
        "pm25",
        "µg/m³",
        (25.0, 50.0, 80.0, 150.0),
        (
            Message("Tốt", "Good"),
            Message("Trung bình", "Moderate"),
            Message("Kém", "Poor"),
            Message("Xấu", "Bad"),
            Message("Rất xấu", "Very bad"),
        ),
    ),
    DeviceType.NOISE: LevelScale(
        DeviceType.NOISE,
        "laeq_db",
        "dBA",
        (55.0, 65.0, 70.0, 80.0),
        (
            Message("Yên tĩnh", "Quiet"),
            Message("Vừa phải", "Moderate"),
            Message("Ồn", "Loud"),
            Message("Vượt chuẩn ban ngày", "Above the daytime limit"),
            Message("Rất ồn", "Very loud"),
        ),
    ),
}


def scale_of(device_type: str) -> LevelScale | None:
    """The scale of a device type, or None for types without levels (cameras)."""
    try:
        return SCALES.get(DeviceType(device_type))
    except ValueError:
        return None


def level_of(device_type: str, metrics: dict[str, float]) -> int | None:
    """The level of a device's latest metrics; None for a type without levels or with no such reading."""
    scale = scale_of(device_type)
    if scale is None or scale.metric not in metrics:
        return None
    return scale.level_of(metrics[scale.metric])
