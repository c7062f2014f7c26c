"""Device levels: the thresholds per type and metric, in Python and as the SQL the map computes them with."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import parse_bbox
from ioc.map.filters import LayerFilters
from ioc.map.levels import LEVEL_NAMES, SCALES, level_of
from ioc.map.repository import fetch_text, geojson_query
from ioc.map.scope import MapScope
from iot.types import DeviceType
from tests.ioc.map.conftest import BOTH_WARDS, IN_A, WARD_A, DeviceMaker


@pytest.mark.parametrize(
    ("device_type", "metrics", "level"),
    [
        ("water_level", {"level_cm": 0.0}, 0),
        ("water_level", {"level_cm": 9.9}, 0),
        ("water_level", {"level_cm": 10.0}, 1),
        ("water_level", {"level_cm": 30.0}, 3),
        ("water_level", {"level_cm": 40.0}, 4),
        ("air_quality", {"pm25": 25.0}, 1),
        ("air_quality", {"pm25": 24.9}, 0),
        ("air_quality", {"pm25": 80.0}, 3),
        ("air_quality", {"pm25": 151.0}, 4),
        ("noise", {"laeq_db": 54.9}, 0),
        ("noise", {"laeq_db": 70.0}, 3),
        ("noise", {"laeq_db": 95.0}, 4),
        ("camera_traffic", {}, None),
        ("water_level", {"rain_mm": 2.0}, None),
    ],
)
def test_level_of(device_type: str, metrics: dict[str, float], level: int | None) -> None:
    assert level_of(device_type, metrics) == level


def test_every_level_has_names_in_both_languages() -> None:
    assert sorted(LEVEL_NAMES) == [0, 1, 2, 3, 4]
    for scale in SCALES.values():
        assert len(scale.names) == 5
        assert all(name.vi and name.en for name in scale.names)
        assert list(scale.thresholds) == sorted(scale.thresholds)
    assert set(SCALES) == {DeviceType.WATER_LEVEL, DeviceType.AIR_QUALITY, DeviceType.NOISE}


@pytest.mark.parametrize("value", [0.0, 10.0, 19.99, 20.0, 35.5, 40.0, 120.0])
async def test_sql_levels_agree_with_python(
    session: AsyncSession, province: AsyncSession, device: DeviceMaker, value: float
) -> None:
    import json

    for scale in SCALES.values():
        await device(IN_A, WARD_A, type_=scale.device_type.value, metrics={scale.metric: value * 2})
    statement, params = geojson_query(
        "devices", parse_bbox(BOTH_WARDS), LayerFilters(), 100, MapScope.everything()
    )
    collection = json.loads(await fetch_text(session, statement, params))
    for feature in collection["features"]:
        p = feature["properties"]
        assert p["level"] == level_of(p["type"], {p["metric"]: p["value"]})
    assert len(collection["features"]) == 3
