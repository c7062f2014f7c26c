"""Pieces of SQL every layer's query shares: positional parameters, the tile's envelope, scope conditions.

Queries are text with asyncpg's positional `$n` parameters, so that the very same statement runs through
the request's connection and bare through asyncpg in the benchmark. Values always travel as parameters;
the only text spliced in is this package's own constants and column names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ioc.map.layers import CLUSTER_CELLS, TILE_BUFFER, TILE_EXTENT
from ioc.map.scope import MapScope

# Half the width of a 256 px pixel at zoom 0, in Web Mercator metres; divided by 2^z for zoom z.
HALF_PIXEL_Z0 = 78271.51696402048
WORLD_ORIGIN = -20037508.342789244


class Params:
    """Collects parameter values and hands out their `$n` placeholders, cast so asyncpg knows the types."""

    def __init__(self, *values: object) -> None:
        self.values: list[object] = list(values)

    def add(self, value: object, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


def iso(column: str) -> str:
    """A timestamptz as ISO 8601 in UTC with a Z, as the JSON answers elsewhere write it."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


# The tile's parameters always start with $1, $2, $3 (z, x, y).
ENVELOPE = "ST_TileEnvelope($1::int, $2::int, $3::int)"
# Points drawn one by one may overlap the tile's edge by the buffer, so their symbols are not cut.
ENVELOPE_WITH_BUFFER = f"ST_TileEnvelope($1::int, $2::int, $3::int, margin => {TILE_BUFFER / TILE_EXTENT})"
# Web Mercator coordinates of a WGS 84 point by arithmetic: the same numbers as ST_Transform(p, 3857) on
# the sphere of EPSG:3857, at a fraction of its cost when every point of a tile is grouped.
EARTH_RADIUS = 6378137.0


def mercator_x(point: str) -> str:
    return f"(ST_X({point}) * {-WORLD_ORIGIN} / 180)"


def mercator_y(point: str) -> str:
    return f"(ln(tan(radians(45 + ST_Y({point}) / 2))) * {EARTH_RADIUS})"


@dataclass(frozen=True, slots=True)
class TileBox:
    """A tile's edges in Web Mercator metres, computed here so that SQL groups rows on constants."""

    z: int
    x: int
    y: int

    @property
    def size(self) -> float:
        return float(-2 * WORLD_ORIGIN / 2**self.z)

    @property
    def west(self) -> float:
        return WORLD_ORIGIN + self.x * self.size

    @property
    def south(self) -> float:
        return -WORLD_ORIGIN - (self.y + 1) * self.size

    @property
    def cell(self) -> float:
        return self.size / CLUSTER_CELLS

    def lon_lat_bounds(self) -> tuple[float, float, float, float]:
        """The tile's west, south, east and north edges in WGS 84 degrees."""
        n = 2**self.z

        def lat(row: int) -> float:
            return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

        return self.x / n * 360 - 180, lat(self.y + 1), (self.x + 1) / n * 360 - 180, lat(self.y)


def mvt_geom(geometry: str) -> str:
    return f"ST_AsMVTGeom({geometry}, {ENVELOPE}, {TILE_EXTENT}, {TILE_BUFFER}, true)"


def mvt(layer_name: str, rows: str) -> str:
    """The encoded layer of `rows` (a SELECT with a `geom` column); empty bytes when no row.

    ST_AsMVT skips rows whose geometry ST_AsMVTGeom clipped away (NULL), so no filter is written on `geom`:
    the planner would push it below a GROUP BY and clip every row instead of every cluster."""
    return f"""SELECT coalesce(ST_AsMVT(tile, '{layer_name}', {TILE_EXTENT}, 'geom'), ''::bytea)
FROM ({rows}) AS tile"""  # noqa: S608


def in_units(params: Params, scope: MapScope, *columns: str) -> str:
    """The rows of the scope's units: true for every unit, else any of `columns` among its codes."""
    if scope.all_units:
        return "true"
    if scope.under is not None:
        unit = params.add(scope.under, "text")
        units = f"(SELECT u.code FROM admin_units AS u WHERE u.code = {unit} OR u.parent_code = {unit})"  # noqa: S608
        return "(" + " OR ".join(f"{column} IN {units}" for column in columns) + ")"
    codes = params.add(scope.codes, "text[]")
    return "(" + " OR ".join(f"{column} = ANY({codes})" for column in columns) + ")"


def any_of(params: Params, column: str, values: tuple[str, ...]) -> str:
    return "true" if not values else f"{column} = ANY({params.add(list(values), 'text[]')})"


def equals(params: Params, column: str, value: object, cast: str) -> str:
    return "true" if value is None else f"{column} = {params.add(value, cast)}"


def conditions(*parts: str) -> str:
    kept = [part for part in parts if part != "true"]
    return " AND ".join(kept) if kept else "true"
