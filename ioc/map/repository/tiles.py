"""Vector tiles: one statement per tile, answering the encoded layer (ST_AsMVT) as bytes.

`tile_query(layer, z, x, y, scope)` gives the statement and its positional parameters ($1..$3 are z, x, y)
for the request and for the benchmark alike. Point layers below their `single_from` zoom group the tile's
points by cell (CLUSTER_CELLS a side, aligned on the tile so that no cell straddles two tiles) in SQL:
each cell is one feature with `count` at its points' mean; a cell of one point keeps the point's
properties. Units draw their precomputed shapes of the zoom's band; warnings are simplified to half a pixel;
hotspots count reports per square cell of HOTSPOT_CELLS a side.
"""

from __future__ import annotations

from ioc.map.filters import NO_FILTERS, LayerFilters
from ioc.map.layers import HOTSPOT_CELLS, LAYERS, LayerId
from ioc.map.models import unit_band
from ioc.map.repository.sources import PointSource, point_source
from ioc.map.repository.sql import (
    CELL,
    ENVELOPE,
    ENVELOPE_WITH_BUFFER,
    HALF_PIXEL_Z0,
    Params,
    any_of,
    conditions,
    equals,
    in_units,
    mvt,
    mvt_geom,
)
from ioc.map.scope import MapScope

# Wards are too small to draw below this zoom: the province alone is.
WARDS_FROM_ZOOM = 8
DEFAULT_POSITION_TTL_SECONDS = 900


def _single(source: PointSource) -> str:
    listed = "".join(f", p.{name}" for name in source.columns)
    points = source.select(ENVELOPE_WITH_BUFFER)
    return f"SELECT {mvt_geom('p.g')} AS geom, 1 AS count{listed}\nFROM ({points}) AS p"


def _clustered(source: PointSource) -> str:
    kept = []
    for name, column in source.columns.items():
        if name in source.cluster_columns:
            continue
        aggregate = "bool_and" if column.kind == "bool" else "min"
        kept.append(f"CASE WHEN count(*) = 1 THEN {aggregate}(p.{name}) END AS {name}")
    kept += [f"{expression} AS {name}" for name, expression in source.cluster_columns.items()]
    centre = "ST_SetSRID(ST_MakePoint(avg(ST_X(p.g)), avg(ST_Y(p.g))), 3857)"
    return f"""SELECT {mvt_geom(centre)} AS geom, count(*) AS count, {", ".join(kept)}
FROM ({source.select(ENVELOPE)}) AS p
GROUP BY floor((ST_X(p.g) - ST_XMin({ENVELOPE})) / {CELL}),
         floor((ST_Y(p.g) - ST_YMin({ENVELOPE})) / {CELL})"""  # noqa: S608


def _units(params: Params, z: int) -> str:
    band = params.add(unit_band(z), "smallint")
    wards = f"(u.level = 'province' OR $1::int >= {WARDS_FROM_ZOOM})"
    return f"""SELECT {mvt_geom("m.geom")} AS geom, u.code, u.name, u.name_en, u.level::text AS level
FROM map_unit_shapes AS m JOIN admin_units AS u ON u.code = m.code
WHERE m.band = {band} AND m.geom && {ENVELOPE} AND {wards}"""  # noqa: S608


def _warnings() -> str:
    # Few and current only: simplified at request time, to half a pixel of the zoom.
    shape = f"ST_SimplifyPreserveTopology(ST_Transform(w.area, 3857), {HALF_PIXEL_Z0} / 2 ^ $1::int)"
    return f"""SELECT {mvt_geom(shape)} AS geom, w.id::text AS id, m.severity,
       m.event_vi AS event, m.event_en, m.headline_vi AS headline, m.headline_en
FROM warnings AS w JOIN warning_messages AS m ON m.warning_id = w.id AND m.seq = w.message_count
WHERE w.area && ST_Transform({ENVELOPE}, 4326) AND w.cancelled_at IS NULL AND w.expires > now()"""  # noqa: S608


def _hotspots(params: Params, scope: MapScope, filters: LayerFilters) -> str:
    cell = f"((ST_XMax({ENVELOPE}) - ST_XMin({ENVELOPE})) / {HOTSPOT_CELLS})"
    where = conditions(
        f"r.created_at >= now() - make_interval(days => {params.add(filters.days, 'int')})",
        "r.merged_into_id IS NULL",
        in_units(params, scope, "r.unit_code"),
        equals(params, "r.unit_code", filters.unit_code, "text"),
        any_of(params, "r.category_code", filters.categories),
    )
    corners = f"x0 + i * {cell}, y0 + j * {cell}, x0 + (i + 1) * {cell}, y0 + (j + 1) * {cell}"
    square = f"ST_MakeEnvelope({corners}, 3857)"
    return f"""SELECT {mvt_geom(square)} AS geom,
       count(*) AS count
FROM (
    SELECT floor((ST_X(g) - x0) / {cell}) AS i, floor((ST_Y(g) - y0) / {cell}) AS j, x0, y0
    FROM (
        SELECT ST_Transform(r.location, 3857) AS g, ST_XMin({ENVELOPE}) AS x0, ST_YMin({ENVELOPE}) AS y0
        FROM feedback_reports AS r
        WHERE ST_Transform(r.location, 3857) && {ENVELOPE} AND {where}
    ) AS points
) AS cells
GROUP BY i, j, x0, y0"""  # noqa: S608


def tile_query(
    layer: LayerId | str,
    z: int,
    x: int,
    y: int,
    scope: MapScope,
    *,
    filters: LayerFilters = NO_FILTERS,
    position_ttl_seconds: int = DEFAULT_POSITION_TTL_SECONDS,
) -> tuple[str, list[object]]:
    """The statement (asyncpg `$n` parameters) answering the tile's bytes, and its parameters.

    `scope` is MapScope.everything() for an admin, MapScope.of_units({...}) for staff of those units and
    PUBLIC_SCOPE for anonymous callers (public layers only). `filters` is read by hotspots only (days,
    category, unit).
    """
    layer_id = LayerId(layer)
    params = Params(z, x, y)
    if layer_id is LayerId.UNITS:
        rows = _units(params, z)
    elif layer_id is LayerId.WARNINGS:
        rows = _warnings()
    elif layer_id is LayerId.HOTSPOTS:
        rows = _hotspots(params, scope, filters)
    else:
        source = point_source(layer_id, params, scope, filters, position_ttl_seconds=position_ttl_seconds)
        rows = _clustered(source) if LAYERS[layer_id].clusters_at(z) else _single(source)
    return mvt(layer_id.value, rows), params.values
