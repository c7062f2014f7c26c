"""Vector tiles: one statement per tile, answering the encoded layer (ST_AsMVT) as bytes.

`tile_query(layer, z, x, y, scope)` gives the statement and its positional parameters ($1..$3 are z, x, y;
$4..$6 the tile's west and south edges and its cluster cell in metres), for the request and for the
benchmark alike. Point layers below their `single_from` zoom group the tile's
points by cell (CLUSTER_CELLS a side, aligned on the tile so that no cell straddles two tiles) in SQL:
each cell is one feature with `count` at its points' mean; a cell of one point keeps the point's
properties. Units draw their precomputed shapes of the zoom's band; warnings are simplified to half a pixel;
hotspots count reports per square cell of HOTSPOT_CELLS a side.
"""

from __future__ import annotations

from ioc.map.filters import NO_FILTERS, LayerFilters
from ioc.map.layers import CLUSTER_CELLS, HOTSPOT_CELLS, LAYERS, LayerId
from ioc.map.models import OPEN_REPORTS_SQL, REPORT_CELL_LEVEL, REPORT_DAY_LEVELS, unit_band
from ioc.map.repository.sources import PointSource, in_bounds, point_source, recent_days, recent_reports
from ioc.map.repository.sql import (
    ENVELOPE,
    ENVELOPE_WITH_BUFFER,
    HALF_PIXEL_Z0,
    Params,
    TileBox,
    in_units,
    iso,
    mercator_x,
    mercator_y,
    mvt,
    mvt_geom,
)
from ioc.map.scope import MapScope

# Wards are too small to draw below this zoom: the province alone is.
WARDS_FROM_ZOOM = 8
# A tile's clusters are 2^3 = CLUSTER_CELLS a side, and its hotspot cells 2^3 = HOTSPOT_CELLS.
CLUSTER_BITS = CLUSTER_CELLS.bit_length() - 1
HOTSPOT_BITS = HOTSPOT_CELLS.bit_length() - 1
DEFAULT_POSITION_TTL_SECONDS = 900


def _single(source: PointSource) -> str:
    listed = "".join(f", p.{name}" for name in source.columns)
    points = source.select(ENVELOPE_WITH_BUFFER)
    return f"SELECT {mvt_geom('p.g')} AS geom, 1 AS count{listed}\nFROM ({points}) AS p"


def _clustered(source: PointSource, params: Params, box: TileBox) -> str:
    kept = []
    for name, column in source.columns.items():
        if name in source.cluster_columns:
            continue
        aggregate = "bool_and" if column.kind == "bool" else "min"
        kept.append(f"CASE WHEN count(*) = 1 THEN {aggregate}(p.{name}) END AS {name}")
    kept += [f"{expression} AS {name}" for name, expression in source.cluster_columns.items()]
    west, south, cell = (params.add(value, "float8") for value in (box.west, box.south, box.cell))
    centre = "ST_SetSRID(ST_MakePoint(avg(p.px), avg(p.py)), 3857)"
    return f"""SELECT {mvt_geom(centre)} AS geom, count(*) AS count, {", ".join(kept)}
FROM ({source.select(ENVELOPE, geometry=False)}) AS p
GROUP BY floor((p.px - {west}) / {cell}), floor((p.py - {south}) / {cell})"""  # noqa: S608


def _report_clusters(params: Params, scope: MapScope, box: TileBox) -> str:
    """Clusters of open reports from map_report_cells: the tile's fine cells, grouped 2^shift a side.

    A cluster of one report is drawn as that report: its point is the cluster's centre, found through the
    open reports' index in a box of a metre around it."""
    span = 2 ** (REPORT_CELL_LEVEL - box.z)
    shift = params.add(REPORT_CELL_LEVEL - box.z - CLUSTER_BITS, "int")
    i0, i1 = params.add(box.x * span, "int"), params.add((box.x + 1) * span - 1, "int")
    south_row = 2**box.z - 1 - box.y
    j0, j1 = params.add(south_row * span, "int"), params.add((south_row + 1) * span - 1, "int")
    if scope.staff:
        cells_of, reports_of = in_units(params, scope, "c.unit_code"), in_units(params, scope, "r.unit_code")
    else:
        cells_of, reports_of = "c.is_public", "r.is_public"
    centre = "ST_SetSRID(ST_MakePoint(k.mx, k.my), 3857)"
    return f"""SELECT {mvt_geom(centre)} AS geom, k.count, one.id, one.category, one.status, one.created_at
FROM (
    SELECT sum(c.n)::int AS count, sum(c.sx) / sum(c.n) AS mx, sum(c.sy) / sum(c.n) AS my
    FROM map_report_cells AS c
    WHERE c.i BETWEEN {i0} AND {i1} AND c.j BETWEEN {j0} AND {j1} AND c.n > 0 AND {cells_of}
    GROUP BY c.i >> {shift}, c.j >> {shift}
) AS k
LEFT JOIN LATERAL (
    SELECT r.id::text AS id, r.category_code AS category, r.status, {iso("r.created_at")} AS created_at
    FROM feedback_reports AS r
    WHERE k.count = 1
      AND ST_Transform(r.location, 3857) && ST_Expand({centre}, 1)
      AND {OPEN_REPORTS_SQL} AND r.merged_into_id IS NULL AND {reports_of}
    LIMIT 1
) AS one ON true
WHERE k.count > 0"""  # noqa: S608


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


def _hotspots(params: Params, scope: MapScope, filters: LayerFilters, box: TileBox) -> str:
    west, south = params.add(box.west, "float8"), params.add(box.south, "float8")
    cell = params.add(box.size / HOTSPOT_CELLS, "float8")
    corners = (
        f"{west} + i * {cell}, {south} + j * {cell}, {west} + (i + 1) * {cell}, {south} + (j + 1) * {cell}"
    )
    square = f"ST_MakeEnvelope({corners}, 3857)"
    return f"""SELECT {mvt_geom(square)} AS geom, count
FROM ({_hotspot_counts(params, scope, filters, box)}) AS cells"""  # noqa: S608


def _hotspot_counts(params: Params, scope: MapScope, filters: LayerFilters, box: TileBox) -> str:
    """(i, j, count) per hotspot cell of the tile (i, j from its south-west corner).

    Up to zoom 14 a hotspot cell is one square of map_report_days or 4, 16, 64... of them (the coarse level up
    to zoom 12, the fine one at 13 and 14), so the period's counts are summed per cell; the period then
    starts at the UTC day `days` days ago (a day more than `days` at most). Above zoom 14, or for chosen
    categories (the counts have none), the period's reports are counted themselves."""
    coarse, fine = REPORT_DAY_LEVELS
    level = coarse if box.z + HOTSPOT_BITS <= coarse else fine
    if box.z + HOTSPOT_BITS > fine or filters.categories:
        west, south = params.add(box.west, "float8"), params.add(box.south, "float8")
        cell = params.add(box.size / HOTSPOT_CELLS, "float8")
        return f"""SELECT i, j, count(*) AS count
FROM (
    SELECT floor(({mercator_x("r.location")} - {west}) / {cell}) AS i,
           floor(({mercator_y("r.location")} - {south}) / {cell}) AS j
    FROM feedback_reports AS r
    WHERE {in_bounds(params, box.lon_lat_bounds())} AND {recent_reports(params, scope, filters)}
) AS reports
GROUP BY i, j"""  # noqa: S608
    span = 2 ** (level - box.z)
    shift = params.add(level - HOTSPOT_BITS - box.z, "int")
    i0, i1 = params.add(box.x * span, "int"), params.add((box.x + 1) * span - 1, "int")
    south_row = 2**box.z - 1 - box.y
    j0, j1 = params.add(south_row * span, "int"), params.add((south_row + 1) * span - 1, "int")
    return f"""SELECT (d.i - {i0}) >> {shift} AS i, (d.j - {j0}) >> {shift} AS j, sum(d.n)::int AS count
FROM map_report_days AS d
WHERE d.level = {params.add(level, "smallint")} AND {recent_days(params, scope, filters)}
  AND d.i BETWEEN {i0} AND {i1} AND d.j BETWEEN {j0} AND {j1}
GROUP BY 1, 2
HAVING sum(d.n) > 0"""  # noqa: S608


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
    box = TileBox(z, x, y)
    clusters = LAYERS[layer_id].clusters_at(z)
    if layer_id is LayerId.UNITS:
        rows = _units(params, z)
    elif layer_id is LayerId.WARNINGS:
        rows = _warnings()
    elif layer_id is LayerId.HOTSPOTS:
        rows = _hotspots(params, scope, filters, box)
    elif layer_id is LayerId.REPORTS and clusters:
        rows = _report_clusters(params, scope, box)
    else:
        source = point_source(layer_id, params, scope, filters, position_ttl_seconds=position_ttl_seconds)
        rows = _clustered(source, params, box) if clusters else _single(source)
    return mvt(layer_id.value, rows), params.values
