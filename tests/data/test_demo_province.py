"""The demo province shipped in data/: the real codes and names, generated geometry that tiles exactly."""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from core.settings import PROJECT_ROOT
from core.units.importer import validate_units

DEMO_FILE = PROJECT_ROOT / "data" / "demo_province.geojson"

# Wards of Ninh Bình that were Nam Định city, with the national statistics office's codes.
EXPECTED_WARDS = {
    "13666": ("Phường Nam Định", "Nam Dinh Ward"),
    "13684": ("Phường Thiên Trường", "Thien Truong Ward"),
    "13693": ("Phường Đông A", "Dong A Ward"),
    "13699": ("Phường Thành Nam", "Thanh Nam Ward"),
    "13735": ("Phường Mỹ Lộc", "My Loc Ward"),
    "13777": ("Phường Trường Thi", "Truong Thi Ward"),
    "13972": ("Phường Vị Khê", "Vi Khe Ward"),
    "13984": ("Phường Hồng Quang", "Hong Quang Ward"),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def shapes(document: dict[str, Any]) -> dict[str, Any]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in document["features"]}


def wards_of(shapes: dict[str, Any]) -> list[Any]:
    return [geometry for code, geometry in shapes.items() if code in EXPECTED_WARDS]


def test_one_province_and_the_eight_wards_of_the_former_city(document: dict[str, Any]) -> None:
    properties = [f["properties"] for f in document["features"]]
    provinces = [p for p in properties if p["level"] == "province"]
    wards = {p["code"]: p for p in properties if p["level"] == "ward"}

    assert provinces == [
        {
            "code": "37",
            "name": "Ninh Bình",
            "name_en": "Ninh Binh Province",
            "level": "province",
            "parent_code": None,
            "demo_geometry": True,
        }
    ]
    assert {code: (p["name"], p["name_en"]) for code, p in wards.items()} == EXPECTED_WARDS
    assert {p["parent_code"] for p in wards.values()} == {"37"}
    assert len(properties) == 9


def test_the_file_says_its_geometry_is_generated(document: dict[str, Any]) -> None:
    assert document["type"] == "FeatureCollection"
    assert document["metadata"]["demo_geometry"] is True
    assert "not official" in document["metadata"]["note"]
    assert all(f["properties"]["demo_geometry"] is True for f in document["features"])


def test_every_polygon_is_valid_and_in_the_former_city_area(shapes: dict[str, Any]) -> None:
    for code, geometry in shapes.items():
        assert geometry.geom_type == "MultiPolygon", code
        assert geometry.is_valid, (code, shapely.is_valid_reason(geometry))
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        assert 106.08 <= min_lon < max_lon <= 106.26, code
        assert 20.36 <= min_lat < max_lat <= 20.51, code


def test_wards_do_not_overlap(shapes: dict[str, Any]) -> None:
    for a, b in combinations(wards_of(shapes), 2):
        assert a.intersection(b).area < 1e-12
    # Stronger than areas: neighbours share exactly the same edges.
    assert shapely.coverage_is_valid(wards_of(shapes))


def test_wards_add_up_to_the_province(shapes: dict[str, Any]) -> None:
    union = shapely.unary_union(wards_of(shapes))
    assert union.symmetric_difference(shapes["37"]).area < 1e-12
    assert union.area == pytest.approx(shapes["37"].area, rel=1e-9)


def test_the_central_ward_is_where_the_city_centre_is(shapes: dict[str, Any]) -> None:
    assert shapes["13666"].contains(shapely.Point(106.176, 20.433))


def test_coordinates_have_at_most_six_decimals(shapes: dict[str, Any]) -> None:
    coordinates = shapely.get_coordinates(list(shapes.values()))
    assert (abs(coordinates * 1e6 - (coordinates * 1e6).round()) < 1e-6).all()


def test_exterior_rings_are_counter_clockwise_as_rfc_7946_asks(shapes: dict[str, Any]) -> None:
    for geometry in shapes.values():
        assert all(polygon.exterior.is_ccw for polygon in geometry.geoms)


def test_the_importer_accepts_the_file(document: dict[str, Any]) -> None:
    assert len(validate_units(document)) == 9
