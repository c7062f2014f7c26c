"""Parts of bench/ioc_map.py: the groups of requests it times (tiles of the province at city and province
zoom, hotspots, GeoJSON boxes, as an admin and as an officer of one ward), the bare query of each request
through asyncpg, and the figures.

The bare query comes from the map's own repository: `ioc.map.repository.tile_query(layer, z, x, y, scope)`
and `geojson_query(layer, bbox, filters, limit, scope)` return the (sql, params) the routes run. Only
`bare_query` below knows those signatures.
"""

from __future__ import annotations

import importlib
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.bbox import BBox
from ioc.map.filters import NO_FILTERS
from ioc.map.scope import MapScope

TILE_LAYERS = ("devices", "reports", "alarms", "units")
GEOJSON_LAYERS = ("devices", "reports", "alarms")
CITY_ZOOMS = (12, 13, 14)
PROVINCE_ZOOMS = (8, 9, 10)
GEOJSON_LIMIT = 1000
# A city-sized box: about 10 by 9 km, inside the wards' extent.
CITY_BOX = (0.10, 0.08)
BOXES = 200
TARGETS_MS = {"city": 50.0, "province": 100.0, "geojson": 100.0}  # p95

# The names in the map's repository the baseline calls (looked up by name: that part is built alongside).
REPOSITORY = "ioc.map.repository"
TILE_QUERY = "tile_query"
GEOJSON_QUERY = "geojson_query"


def map_repository_ready() -> bool:
    """Whether the map's repository offers the statements the baseline runs."""
    try:
        module = importlib.import_module(REPOSITORY)
    except ImportError:
        return False
    return all(hasattr(module, name) for name in (TILE_QUERY, GEOJSON_QUERY))


def bare_query(request: dict[str, Any], scope: MapScope) -> tuple[str, list[Any]]:
    """The statement and parameters the API runs for `request`, for asyncpg: the one place that knows the
    map repository's signatures."""
    repository = importlib.import_module(REPOSITORY)
    if request["kind"] == "tile":
        build = getattr(repository, TILE_QUERY)
        sql, params = build(request["layer"], request["z"], request["x"], request["y"], scope)
    else:
        build = getattr(repository, GEOJSON_QUERY)
        sql, params = build(request["layer"], BBox(*request["bbox"]), NO_FILTERS, GEOJSON_LIMIT, scope)
    if isinstance(params, Mapping):
        raise TypeError(f"{REPOSITORY} answered named parameters; asyncpg takes them in order")
    return str(sql), list(params)


def scope_of(spec: dict[str, Any]) -> MapScope:
    """The scope the API gives the caller: everything for an admin, his unit (and a province's wards) for
    an officer."""
    if spec["all_units"]:
        return MapScope.everything()
    [unit_code] = spec["codes"]
    return MapScope.under_unit(unit_code)


# -- The requests -------------------------------------------------------------------------------------------


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator tile (x, y) holding a point at zoom z."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


EXTENT_SQL = """
SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
FROM (SELECT boundary::box2d::geometry AS e FROM admin_units WHERE code = $1) AS u
"""
TOUCHING_SQL = """
SELECT t.z, t.x, t.y
FROM unnest($1::int[], $2::int[], $3::int[]) AS t(z, x, y), admin_units AS u
WHERE u.code = $4 AND ST_Intersects(ST_TileEnvelope(t.z, t.x, t.y), ST_Transform(u.boundary, 3857))
ORDER BY t.z, t.x, t.y
"""


async def tiles_over(
    connection: asyncpg.Connection, unit: str, zooms: Sequence[int]
) -> list[tuple[int, int, int]]:
    """Every tile of these zooms that the unit's boundary reaches."""
    box = await connection.fetchrow(EXTENT_SQL, unit)
    candidates: list[tuple[int, int, int]] = []
    for z in zooms:
        west, north = tile_of(box["x0"], box["y1"], z)
        east, south = tile_of(box["x1"], box["y0"], z)
        candidates += [(z, x, y) for x in range(west, east + 1) for y in range(north, south + 1)]
    rows = await connection.fetch(
        TOUCHING_SQL, [c[0] for c in candidates], [c[1] for c in candidates], [c[2] for c in candidates], unit
    )
    return [(row["z"], row["x"], row["y"]) for row in rows]


def tile_request(layer: str, tile: tuple[int, int, int]) -> dict[str, Any]:
    z, x, y = tile
    return {"kind": "tile", "layer": layer, "z": z, "x": x, "y": y, "path": f"/tiles/{layer}/{z}/{x}/{y}.pbf"}


def city_boxes(extent: tuple[float, float, float, float], count: int, seed: int) -> list[tuple[float, ...]]:
    """`count` city-sized boxes placed at random inside the extent (the same ones for every run)."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = extent
    width, height = min(CITY_BOX[0], x1 - x0), min(CITY_BOX[1], y1 - y0)
    boxes = []
    for _ in range(count):
        lon, lat = rng.uniform(x0, x1 - width), rng.uniform(y0, y1 - height)
        boxes.append(tuple(round(v, 5) for v in (lon, lat, lon + width, lat + height)))
    return boxes


def geojson_request(layer: str, box: tuple[float, ...]) -> dict[str, Any]:
    bbox = ",".join(f"{v:.5f}" for v in box)
    return {
        "kind": "geojson",
        "layer": layer,
        "bbox": list(box),
        "path": f"/api/v1/map/{layer}.geojson?bbox={bbox}&limit={GEOJSON_LIMIT}",
    }


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    band: str  # the target it is held to: city, province or geojson
    role: str  # admin or officer
    requests: list[dict[str, Any]]


async def plan(connection: asyncpg.Connection, province: str, ward: str) -> list[Group]:
    """The groups, as the admin (over the province) and as the ward's officer (over his ward)."""
    box = await connection.fetchrow(EXTENT_SQL, province)
    extent = (box["x0"], box["y0"], box["x1"], box["y1"])
    groups: list[Group] = []
    for role, unit in (("admin", province), ("officer", ward)):
        city = await tiles_over(connection, unit, CITY_ZOOMS)
        wide = await tiles_over(connection, unit, PROVINCE_ZOOMS)
        layers = ", ".join(TILE_LAYERS)
        groups += [
            Group(
                f"tiles z12-14 ({layers})",
                "city",
                role,
                [tile_request(layer, t) for t in city for layer in TILE_LAYERS],
            ),
            Group(
                f"tiles z8-10 ({layers})",
                "province",
                role,
                [tile_request(layer, t) for t in wide for layer in TILE_LAYERS],
            ),
            Group("hotspots z12-14", "city", role, [tile_request("hotspots", t) for t in city]),
            Group("hotspots z8-10", "province", role, [tile_request("hotspots", t) for t in wide]),
            Group(
                f"GeoJSON city box ({', '.join(GEOJSON_LAYERS)})",
                "geojson",
                role,
                [
                    geojson_request(layer, b)
                    for b in city_boxes(extent, BOXES, seed=14)
                    for layer in GEOJSON_LAYERS
                ],
            ),
        ]
    return groups


# -- The figures --------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass(frozen=True, slots=True)
class Figures:
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int

    @classmethod
    def of(cls, result: dict[str, Any], ok: Sequence[str]) -> Figures:
        """Requests a second that got an answer in `ok`, their latencies, and everything else as errors."""
        statuses: dict[str, int] = result["statuses"]
        good = sum(statuses.get(status, 0) for status in ok)
        latencies: list[float] = result["latencies_ms"]
        return cls(
            rate=good / max(result["seconds"], 1e-9),
            p50=statistics.median(latencies) if latencies else float("nan"),
            p95=percentile(latencies, 0.95),
            p99=percentile(latencies, 0.99),
            errors=sum(statuses.values()) - good + int(result["transport_errors"]),
        )

    def text(self, unit: str) -> str:
        return (
            f"{self.rate:,.0f} {unit}/s, p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms, "
            f"p99 {self.p99:.1f} ms, errors {self.errors}"
        )


def ratio(http: float, bare: float) -> str:
    return f"{http / bare:.1f}x" if bare > 0 and not math.isnan(bare) else "n/a"


def verdict(group: Group, http: Figures) -> str:
    target = TARGETS_MS[group.band]
    met = http.p95 < target and http.errors == 0
    return f"target p95 < {target:.0f} ms: {'meets' if met else 'misses'}"
