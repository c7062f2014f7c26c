"""Daily patterns of the simulated readings: what a sensor in the city would plausibly report at a given
local time. Pure functions of (device, time, random generator), so a seeded run is reproducible."""

from __future__ import annotations

import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

from iot.types import DeviceType

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _hour(moment: datetime) -> float:
    local = moment.astimezone(LOCAL)
    return local.hour + local.minute / 60 + local.second / 3600


def _bump(hour: float, centre: float, width: float) -> float:
    """A bell around `centre` (hours), 1 at the centre, wrapping round midnight."""
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-((distance / width) ** 2))


def traffic_level(hour: float) -> float:
    """0..~1: the morning (7:30) and evening (17:30) rush, a midday plateau, quiet nights."""
    return 0.08 + 0.9 * _bump(hour, 7.5, 1.2) + 0.95 * _bump(hour, 17.5, 1.4) + 0.35 * _bump(hour, 12, 3)


def rain_mm(hour: float, day_seed: int) -> float:
    """Rain in the last interval: an afternoon shower on some days (monsoon-like), dry otherwise."""
    if day_seed % 3 == 0:
        return 0.0
    return round(max(0.0, 6.0 * _bump(hour, 15.5, 1.0) - 0.3), 2)


def _air(hour: float, rng: random.Random) -> dict[str, float]:
    traffic = traffic_level(hour)
    pm25 = max(3.0, 18 + 45 * traffic + rng.gauss(0, 3))
    temperature = 24 + 6 * _bump(hour, 14, 4) + rng.gauss(0, 0.3)
    return {
        "pm25": round(pm25, 1),
        "pm10": round(pm25 * 1.6 + rng.gauss(0, 2), 1),
        "no2": round(max(1.0, 12 + 40 * traffic + rng.gauss(0, 2)), 1),
        "o3": round(max(1.0, 20 + 50 * _bump(hour, 14, 3) + rng.gauss(0, 3)), 1),
        "co": round(max(0.05, 0.3 + 1.2 * traffic + rng.gauss(0, 0.05)), 2),
        "temperature": round(temperature, 1),
        "humidity": round(min(100.0, max(30.0, 88 - 2.2 * (temperature - 24) + rng.gauss(0, 1.5))), 1),
        "aqi": float(aqi_pm25(pm25)),
    }


def aqi_pm25(pm25: float) -> int:
    """US EPA AQI for PM2.5 (µg/m³), the scale the IOC colours air quality with."""
    breakpoints = [
        (0, 12, 0, 50),
        (12.1, 35.4, 51, 100),
        (35.5, 55.4, 101, 150),
        (55.5, 150.4, 151, 200),
        (150.5, 250.4, 201, 300),
        (250.5, 500.4, 301, 500),
    ]
    for c_low, c_high, i_low, i_high in breakpoints:
        if pm25 <= c_high:
            return round(i_low + (i_high - i_low) * (max(pm25, c_low) - c_low) / (c_high - c_low))
    return 500


def _water(hour: float, day_seed: int, rng: random.Random) -> dict[str, float]:
    rain = rain_mm(hour, day_seed)
    # The street gauge reads a few centimetres of standing water that rise with the shower and drain after.
    level = 4 + 3.5 * rain + 8 * _bump(hour, 16.5, 1.5) * (rain > 0 or day_seed % 3 != 0)
    return {"level_cm": round(max(0.0, level + rng.gauss(0, 0.4)), 1), "rain_mm": rain}


def _noise(hour: float, rng: random.Random) -> dict[str, float]:
    laeq = 42 + 26 * min(1.0, traffic_level(hour)) + rng.gauss(0, 1.2)
    return {"laeq_db": round(laeq, 1), "lmax_db": round(laeq + 9 + abs(rng.gauss(0, 3)), 1)}


def _traffic(hour: float, interval_s: float, rng: random.Random) -> dict[str, float]:
    level = traffic_level(hour)
    per_minute = 40 * level
    count = max(0, round(rng.gauss(per_minute * interval_s / 60, 1 + per_minute * interval_s / 600)))
    speed = round(max(5.0, 48 - 30 * level + rng.gauss(0, 2)), 1)
    return {"vehicle_count": float(count), "avg_speed_kmh": speed}


def _people(hour: float, rng: random.Random) -> dict[str, float]:
    crowd = 2 + 25 * _bump(hour, 9, 2.5) + 35 * _bump(hour, 19.5, 2)
    return {"people_count": float(max(0, round(rng.gauss(crowd, 2))))}


def metrics(
    kind: DeviceType, moment: datetime, rng: random.Random, *, interval_s: float = 60
) -> dict[str, float]:
    """One telemetry reading of a device of type `kind` at `moment`."""
    hour = _hour(moment)
    if kind is DeviceType.AIR_QUALITY:
        return _air(hour, rng)
    if kind is DeviceType.WATER_LEVEL:
        return _water(hour, moment.astimezone(LOCAL).toordinal(), rng)
    if kind is DeviceType.NOISE:
        return _noise(hour, rng)
    if kind is DeviceType.CAMERA_TRAFFIC:
        return _traffic(hour, interval_s, rng)
    return _people(hour, rng)
