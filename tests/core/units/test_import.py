from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.settings import PROJECT_ROOT, Settings
from core.units.importer import (
    WHOLE_FILE,
    ImportProblem,
    UnitImportError,
    import_units,
    read_document,
    validate_units,
)

DEMO_FILE = PROJECT_ROOT / "data" / "demo_province.geojson"

Ring = list[list[float]]


def square(lon: float, lat: float, size: float = 1.0) -> Ring:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(code: str, level: str, ring: Ring, *, parent: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "code": code,
        "name": f"Đơn vị {code}",
        "name_en": f"Unit {code}",
        "level": level,
        "parent_code": parent,
    }
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def rectangle(min_lon: float, max_lon: float) -> Ring:
    """A rectangle from latitude 10 to 11."""
    return [[min_lon, 10], [max_lon, 10], [max_lon, 11], [min_lon, 11], [min_lon, 10]]


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def sample() -> dict[str, Any]:
    """A province 98 (a 1x1 degree square far from the demo) split into two wards."""
    return collection(
        feature("98", "province", square(10, 10)),
        feature("98001", "ward", rectangle(10, 10.5), parent="98"),
        feature("98002", "ward", rectangle(10.5, 11), parent="98"),
    )


async def snapshot(session: AsyncSession) -> list[tuple[Any, ...]]:
    """Every stored unit with its physical row version: an UPDATE, even to equal values, changes ctid."""
    result = await session.execute(
        text(
            "SELECT code, name, name_en, level::text, parent_code, ST_AsEWKB(boundary), ST_AsEWKB(centroid), "
            "demo_geometry, ctid::text FROM admin_units ORDER BY code"
        )
    )
    return [tuple(row) for row in result]


def problems_of(document: Any, stored: dict[str, Any] | None = None) -> list[ImportProblem]:
    with pytest.raises(UnitImportError) as caught:
        validate_units(document, stored)
    return list(caught.value.problems)


async def test_demo_file_imports_a_province_and_eight_wards(session: AsyncSession) -> None:
    count = await import_units(session, read_document(DEMO_FILE))

    assert count == 9
    rows = (
        await session.execute(
            text(
                "SELECT level::text, parent_code, demo_geometry, ST_GeometryType(boundary), "
                "ST_SRID(boundary), "
                "ST_Covers(boundary, centroid) FROM admin_units"
            )
        )
    ).all()
    assert sorted(row[0] for row in rows) == ["province"] + ["ward"] * 8
    assert {row[1] for row in rows if row[0] == "ward"} == {"37"}
    assert all(row[2] for row in rows)
    assert {(row[3], row[4]) for row in rows} == {("ST_MultiPolygon", 4326)}
    # The label point lies inside its unit, whatever the unit's shape.
    assert all(row[5] for row in rows)


async def test_reimporting_the_same_file_changes_nothing(session: AsyncSession) -> None:
    document = read_document(DEMO_FILE)
    await import_units(session, document)
    before = await snapshot(session)

    assert await import_units(session, document) == 9

    assert await snapshot(session) == before


async def test_reimporting_updates_names_and_boundaries_by_code(session: AsyncSession) -> None:
    await import_units(session, sample())
    changed = sample()
    changed["features"][1]["properties"]["name"] = "Phường Mới"
    changed["features"][1]["geometry"]["coordinates"] = [rectangle(10, 10.6)]
    changed["features"][2]["geometry"]["coordinates"] = [rectangle(10.6, 11)]
    before = {row[0]: row for row in await snapshot(session)}

    assert await import_units(session, changed) == 3

    after = {row[0]: row for row in await snapshot(session)}
    assert after.keys() == {"98", "98001", "98002"}
    assert after["98001"][1] == "Phường Mới"
    assert after["98001"][5] != before["98001"][5]
    assert after["98"] == before["98"]
    area = await session.scalar(text("SELECT ST_Area(boundary) FROM admin_units WHERE code = '98001'"))
    assert area == pytest.approx(0.6)


async def test_a_polygon_is_stored_as_a_multipolygon(session: AsyncSession) -> None:
    await import_units(session, sample())
    kinds = set((await session.scalars(text("SELECT ST_GeometryType(boundary) FROM admin_units"))).all())
    assert kinds == {"ST_MultiPolygon"}


async def test_the_label_point_of_a_concave_ward_lies_inside_it(session: AsyncSession) -> None:
    # A U-shaped ward: its centroid falls in the empty middle of the U.
    u_shape: Ring = [
        [10, 10],
        [11, 10],
        [11, 11],
        [10.8, 11],
        [10.8, 10.2],
        [10.2, 10.2],
        [10.2, 11],
        [10, 11],
        [10, 10],
    ]
    await import_units(
        session,
        collection(
            feature("98", "province", square(10, 10)),
            feature("98001", "ward", u_shape, parent="98"),
        ),
    )
    inside, centroid_inside = (
        await session.execute(
            text(
                "SELECT ST_Covers(boundary, centroid), ST_Covers(boundary, ST_Centroid(boundary)) "
                "FROM admin_units WHERE code = '98001'"
            )
        )
    ).one()
    assert inside is True
    assert centroid_inside is False


async def test_a_ward_may_name_a_province_already_in_the_database(session: AsyncSession) -> None:
    await import_units(session, read_document(DEMO_FILE))
    new_ward = feature("13999", "ward", square(106.17, 20.42, 0.01), parent="37")

    assert await import_units(session, collection(new_ward)) == 1
    assert await session.scalar(text("SELECT parent_code FROM admin_units WHERE code = '13999'")) == "37"


async def test_a_ward_outside_its_stored_province_is_rejected(session: AsyncSession) -> None:
    await import_units(session, read_document(DEMO_FILE))
    before = await snapshot(session)
    stray = feature("13999", "ward", square(105.0, 20.0, 0.01), parent="37")

    with pytest.raises(UnitImportError) as caught:
        await import_units(session, collection(stray))

    assert [p.index for p in caught.value.problems] == [0]
    assert "outside its province 37" in caught.value.problems[0].reason
    assert await snapshot(session) == before


def with_bad(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The sample with its feature 2 (a ward) spoiled by `mutate`."""
    document = sample()
    mutate(document["features"][2])
    return document


def set_geometry(geometry: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(target: dict[str, Any]) -> None:
        target["geometry"] = geometry

    return mutate


def set_ring(ring: Any) -> Callable[[dict[str, Any]], None]:
    return set_geometry({"type": "Polygon", "coordinates": [ring]})


def set_property(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(target: dict[str, Any]) -> None:
        target["properties"][key] = value

    return mutate


def drop_property(key: str) -> Callable[[dict[str, Any]], None]:
    def mutate(target: dict[str, Any]) -> None:
        del target["properties"][key]

    return mutate


BOW_TIE: Ring = [[10.5, 10], [11, 11], [11, 10], [10.5, 11], [10.5, 10]]

BAD_FEATURES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "bow-tie": (set_ring(BOW_TIE), "geometry is not valid: Self-intersection"),
    "ring not closed": (set_ring([[10.5, 10], [11, 10], [11, 11], [10.5, 11]]), "is not closed"),
    "too few points": (set_ring([[10.5, 10], [11, 10], [10.5, 10]]), "a ring needs at least 4"),
    "longitude out of range": (set_ring(square(180.5, 10, 0.2)), "out of range"),
    "latitude out of range": (set_ring(square(10.5, 90.5, 0.2)), "out of range"),
    "not a number": (set_ring([[10.5, 10], [11, "10"], [11, 11], [10.5, 10]]), "not [lon, lat] numbers"),
    "infinite": (set_ring([[10.5, 10], [11, float("inf")], [11, 11], [10.5, 10]]), "not [lon, lat] numbers"),
    "hole outside its shell": (
        set_geometry({"type": "Polygon", "coordinates": [square(10.5, 10, 0.4), square(10.95, 10.6, 0.02)]}),
        "geometry is not valid: Hole lies outside shell",
    ),
    "empty geometry": (set_geometry({"type": "MultiPolygon", "coordinates": []}), "geometry is empty"),
    "point geometry": (
        set_geometry({"type": "Point", "coordinates": [10.7, 10.5]}),
        "Polygon or MultiPolygon",
    ),
    "no geometry": (set_geometry(None), "geometry is missing"),
    "ward code of 4 digits": (set_property("code", "9800"), "must be 5 digits for a ward"),
    "numeric code": (set_property("code", 98002), "'code' must be a string"),
    "unknown level": (set_property("level", "district"), "'level' must be 'province' or 'ward'"),
    "level not a string": (set_property("level", ["ward"]), "'level' must be 'province' or 'ward'"),
    "properties not an object": (lambda target: target.update(properties=[]), "properties are missing"),
    "no name": (drop_property("name"), "'name' must be a non-empty string"),
    "blank English name": (set_property("name_en", "  "), "'name_en' must be a non-empty string"),
    "name too long": (set_property("name", "x" * 201), "longer than 200"),
    "demo flag not boolean": (set_property("demo_geometry", "yes"), "'demo_geometry' must be true or false"),
    "ward without parent": (set_property("parent_code", None), "a ward needs a parent_code"),
    "unknown parent": (set_property("parent_code", "97"), "parent province 97 is neither in the file nor"),
    "duplicate code": (set_property("code", "98001"), "duplicate code 98001 (first at feature 1)"),
    "ward outside its province": (set_ring(square(10.5, 10, 0.6)), "outside its province 98"),
    "not a feature": (lambda target: target.update(type="Point"), "not a GeoJSON Feature"),
}


@pytest.mark.parametrize(("mutate", "reason"), list(BAD_FEATURES.values()), ids=list(BAD_FEATURES))
async def test_a_bad_feature_is_reported_with_its_index_and_nothing_is_imported(
    session: AsyncSession, mutate: Callable[[dict[str, Any]], None], reason: str
) -> None:
    await import_units(session, read_document(DEMO_FILE))
    before = await snapshot(session)

    with pytest.raises(UnitImportError) as caught:
        await import_units(session, with_bad(mutate))

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].index == 2
    assert reason in caught.value.problems[0].reason
    # Neither the bad feature nor the good ones before it were written.
    assert await snapshot(session) == before


def test_a_province_with_a_parent_or_a_long_code_is_rejected() -> None:
    document = sample()
    document["features"][0]["properties"].update(parent_code="01", code="980")

    problems = problems_of(document)

    assert problems[0].index == 0
    assert "must be 2 digits for a province" in problems[0].reason
    assert "must not have a parent_code" in problems[0].reason


def test_every_problem_is_reported_not_only_the_first() -> None:
    document = sample()
    document["features"].append(feature("98003", "ward", BOW_TIE, parent="98"))
    document["features"][0]["properties"]["name"] = ""
    document["features"][1]["properties"]["code"] = "98x01"
    document["features"][1]["geometry"]["coordinates"] = [[[10, 10], [10.5, 10], [10, 10]]]

    problems = problems_of(document)

    assert [p.index for p in problems] == [0, 1, 3]
    assert "'name'" in problems[0].reason
    # Two faults of one feature are one problem naming both.
    assert "must be 5 digits" in problems[1].reason
    assert "at least 4" in problems[1].reason
    assert "Self-intersection" in problems[2].reason


def test_a_ward_just_over_its_province_edge_is_tolerated() -> None:
    document = sample()
    # 0.4% of this ward's area lies east of the province.
    document["features"][2]["geometry"]["coordinates"] = [square(10.5, 10, 0.502)]

    assert [unit.code for unit in validate_units(document)] == ["98", "98001", "98002"]


def test_a_multipolygon_with_islands_is_accepted() -> None:
    document = sample()
    document["features"][0]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [[square(10, 10)], [square(12, 10, 0.1)]],
    }
    units = validate_units(document)
    assert len(units[0].boundary.geoms) == 2


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "not a GeoJSON FeatureCollection"),
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        (
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:3405"}},
                "features": sample()["features"],
            },
            "CRS84",
        ),
        (
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": "EPSG:3405"},
                "features": sample()["features"],
            },
            "CRS84",
        ),
    ],
    ids=["array", "single feature", "empty", "projected crs", "malformed crs"],
)
def test_a_bad_file_is_one_problem_for_the_whole_file(document: Any, reason: str) -> None:
    problems = problems_of(document)
    assert [p.index for p in problems] == [WHOLE_FILE]
    assert reason in problems[0].reason


def test_a_file_that_is_not_json_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "units.geojson"
    path.write_text('{"type": "FeatureCollection", ', encoding="utf-8")
    with pytest.raises(UnitImportError) as caught:
        read_document(path)
    assert caught.value.problems[0].index == WHOLE_FILE
    assert "not valid JSON" in caught.value.problems[0].reason


def test_validation_does_not_change_the_document() -> None:
    document = sample()
    original = copy.deepcopy(document)
    validate_units(document)
    assert document == original


# The command line commits, so these tests use codes no other test uses and delete what they wrote.
CLI_CODES = ("98001", "98002", "98")


@pytest.fixture
async def cli_cleanup(engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with engine.begin() as connection:
        for code in CLI_CODES:  # wards before their province
            await connection.execute(text("DELETE FROM admin_units WHERE code = :code"), {"code": code})


async def run_cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    environment = {**os.environ, "SMARTCITY_DATABASE_URL": settings.database_dsn}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        *args,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def committed_codes(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        result = await connection.scalars(
            text("SELECT code FROM admin_units WHERE code IN ('98', '98001', '98002') ORDER BY code")
        )
        return list(result)


@pytest.mark.usefixtures("cli_cleanup")
async def test_the_command_rejects_a_bad_file_with_exit_code_1(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "bad.geojson"
    document = sample()
    document["features"][1]["geometry"]["coordinates"] = [BOW_TIE]
    path.write_text(json.dumps(document), encoding="utf-8")

    code, stdout, stderr = await run_cli(settings, "import-units", str(path))

    assert code == 1, stdout + stderr
    assert "feature 1: geometry is not valid: Self-intersection" in stderr
    assert "nothing imported: 1 problem(s)" in stderr
    assert await committed_codes(engine) == []


@pytest.mark.usefixtures("cli_cleanup")
async def test_the_command_imports_a_good_file(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "good.geojson"
    path.write_text(json.dumps(sample()), encoding="utf-8")

    code, stdout, stderr = await run_cli(settings, "import-units", str(path))

    assert code == 0, stdout + stderr
    assert "imported 3 administrative units" in stdout
    assert await committed_codes(engine) == ["98", "98001", "98002"]
