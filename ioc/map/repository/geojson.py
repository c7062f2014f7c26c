"""GeoJSON layers: one statement per answer, building the whole FeatureCollection in SQL as text.

`geojson_query(layer, bbox, filters, limit, scope)` gives the statement and its positional parameters. The
rows are read up to `limit + 1` in index order (no sort: the box's index scan stops as soon as enough rows
matched), the first `limit` become features and `truncated` says whether another matched. Coordinates carry
6 decimals for points (0.1 m) and 5 for shapes (1 m), enough for a phone's map and small to send.
"""

from __future__ import annotations

import math

from core.bbox import BBox
from ioc.map.filters import LayerFilters
from ioc.map.layers import HOTSPOT_CELLS, MAX_ZOOM, LayerId
from ioc.map.repository.sources import in_bounds, point_source, recent_reports
from ioc.map.repository.sql import WORLD_ORIGIN, Params, any_of, equals
from ioc.map.repository.tiles import DEFAULT_POSITION_TTL_SECONDS
from ioc.map.scope import MapScope

WORLD_WIDTH = -2 * WORLD_ORIGIN
# Hotspot cells: the grid of the tile whose zoom shows the box on about four tiles across.
HOTSPOT_ZOOM_OFFSET = 2


def _collection(params: Params, hits: str, feature: str, limit: int) -> str:
    """The FeatureCollection of the first `limit` of `hits` (a SELECT of at most limit + 1 rows)."""
    top = params.add(limit, "int")
    return f"""WITH hits AS MATERIALIZED ({hits}),
numbered AS (SELECT h.*, row_number() OVER () AS n FROM hits AS h)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg({feature}) FILTER (WHERE n <= {top}), '[]'::json),
    'truncated', count(*) > {top}
)::text
FROM numbered AS h"""  # noqa: S608


def _envelope(params: Params, bbox: BBox) -> str:
    corners = ", ".join(
        params.add(value, "float8") for value in (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat)
    )
    return f"ST_MakeEnvelope({corners}, 4326)"


def _properties(names: list[str]) -> str:
    return "json_build_object(" + ", ".join(f"'{name}', h.{name}" for name in names) + ")"


def _feature(geometry: str, properties: str, feature_id: str | None = None) -> str:
    identity = f"'id', {feature_id}, " if feature_id else ""
    return (
        f"json_build_object('type', 'Feature', {identity}'geometry', {geometry}::json, "
        f"'properties', {properties})"
    )


def _points(
    layer_id: LayerId,
    params: Params,
    bbox: BBox,
    filters: LayerFilters,
    limit: int,
    scope: MapScope,
    ttl: int,
) -> str:
    source = point_source(layer_id, params, scope, filters, position_ttl_seconds=ttl)
    envelope = f"ST_Transform({_envelope(params, bbox)}, 3857)"
    hits = f"{source.select(envelope)}\nLIMIT {params.add(limit + 1, 'int')}"
    properties = (
        "json_build_object('count', 1, " + ", ".join(f"'{name}', h.{name}" for name in source.columns) + ")"
    )
    feature = _feature("ST_AsGeoJSON(h.point, 6)", f"json_strip_nulls({properties})", "h.id")
    return _collection(params, hits, feature, limit)


def _tolerance(bbox: BBox) -> float:
    # About a pixel of a 2000 px wide screen showing the box.
    return max(bbox.max_lon - bbox.min_lon, bbox.max_lat - bbox.min_lat) / 2000


def _units(params: Params, bbox: BBox, filters: LayerFilters, limit: int) -> str:
    tolerance = params.add(_tolerance(bbox), "float8")
    hits = f"""SELECT u.code, u.name, u.name_en, u.level::text AS level,
       ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(u.boundary, {tolerance})), 5) AS shape
FROM admin_units AS u
WHERE u.boundary && {_envelope(params, bbox)} AND {equals(params, "u.level::text", filters.level, "text")}
LIMIT {params.add(limit + 1, "int")}"""  # noqa: S608
    feature = _feature("h.shape", _properties(["code", "name", "name_en", "level"]), "h.code")
    return _collection(params, hits, feature, limit)


def _warnings(params: Params, bbox: BBox, filters: LayerFilters, limit: int) -> str:
    tolerance = params.add(_tolerance(bbox), "float8")
    hits = f"""SELECT w.id::text AS id, m.severity, m.event_vi AS event, m.event_en,
       m.headline_vi AS headline, m.headline_en,
       ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(w.area, {tolerance})), 5) AS shape
FROM warnings AS w JOIN warning_messages AS m ON m.warning_id = w.id AND m.seq = w.message_count
WHERE w.area && {_envelope(params, bbox)} AND w.cancelled_at IS NULL AND w.expires > now()
  AND {any_of(params, "m.severity", filters.severities)}
LIMIT {params.add(limit + 1, "int")}"""  # noqa: S608
    names = ["id", "severity", "event", "event_en", "headline", "headline_en"]
    feature = _feature("h.shape", _properties(names), "h.id")
    return _collection(params, hits, feature, limit)


def hotspot_cell_metres(bbox: BBox) -> float:
    """The side of a hotspot cell for a box: the cell of the tile grid at the zoom that shows it well."""
    width = max(bbox.max_lon - bbox.min_lon, 1e-9) * WORLD_WIDTH / 360
    zoom = min(MAX_ZOOM, max(0, math.floor(math.log2(WORLD_WIDTH / width)) + HOTSPOT_ZOOM_OFFSET))
    return float(WORLD_WIDTH / 2**zoom / HOTSPOT_CELLS)


def _hotspots(params: Params, bbox: BBox, filters: LayerFilters, limit: int, scope: MapScope) -> str:
    cell = params.add(hotspot_cell_metres(bbox), "float8")
    where = recent_reports(params, scope, filters)
    corners = (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat)
    origin = WORLD_ORIGIN
    square = (
        f"ST_Transform(ST_MakeEnvelope({origin} + i * {cell}, {origin} + j * {cell}, "
        f"{origin} + (i + 1) * {cell}, {origin} + (j + 1) * {cell}, 3857), 4326)"
    )
    # The hottest cells first, so that a truncated answer keeps them.
    hits = f"""SELECT i, j, count(*) AS count
FROM (
    SELECT floor((ST_X(g) - {origin}) / {cell}) AS i, floor((ST_Y(g) - {origin}) / {cell}) AS j
    FROM (
        SELECT ST_Transform(r.location, 3857) AS g FROM feedback_reports AS r
        WHERE {in_bounds(params, corners)} AND {where}
    ) AS points
) AS cells
GROUP BY i, j
ORDER BY count(*) DESC, i, j
LIMIT {params.add(limit + 1, "int")}"""  # noqa: S608
    feature = _feature(f"ST_AsGeoJSON({square}, 5)", "json_build_object('count', h.count)")
    return _collection(params, hits, feature, limit)


def geojson_query(
    layer: LayerId | str,
    bbox: BBox,
    filters: LayerFilters,
    limit: int,
    scope: MapScope,
    *,
    position_ttl_seconds: int = DEFAULT_POSITION_TTL_SECONDS,
) -> tuple[str, list[object]]:
    """The statement (asyncpg `$n` parameters) answering the FeatureCollection as JSON text, and its
    parameters. `scope` as for tile_query; `filters` already validated; `limit` 1..5000."""
    layer_id = LayerId(layer)
    params = Params()
    if layer_id is LayerId.UNITS:
        sql = _units(params, bbox, filters, limit)
    elif layer_id is LayerId.WARNINGS:
        sql = _warnings(params, bbox, filters, limit)
    elif layer_id is LayerId.HOTSPOTS:
        sql = _hotspots(params, bbox, filters, limit, scope)
    else:
        sql = _points(layer_id, params, bbox, filters, limit, scope, position_ttl_seconds)
    return sql, params.values
