"""The map's routes: per layer, vector tiles, a TileJSON document and a GeoJSON FeatureCollection.

Each layer has its own routes so that each declares its own policy (public layers let anonymous callers
in, staff layers answer 401/403 to the others) and its own filters; an unknown layer is a plain 404. The
handlers are made per layer below; this module's `router` holds them all.

- `GET /tiles/{layer}/{z}/{x}/{y}.pbf`: application/vnd.mapbox-vector-tile, one MVT layer named as the
  layer; 204 when no feature falls in the tile; ETag and 304; Cache-Control per layer (ioc/map/layers.py)
  and `Vary: Authorization` where the content depends on the caller.
- `GET /tiles/{layer}.json`: TileJSON 3.0.0 with absolute tile URLs.
- `GET /api/v1/map/{layer}.geojson?bbox=&limit=&<filters>`: at most `limit` features, `truncated` when more
  matched; unknown parameters are refused.
"""

# No `from __future__ import annotations`: the handlers below are made in functions, and FastAPI must read
# their parameter types from the closures they are made in.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from core.http.conditional import NOT_MODIFIED, cached
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import OptionalPrincipal, Staff
from core.http.responses import PUBLIC_OPENAPI, UNAUTHENTICATED, Responses, problem, responses
from core.identity.principal import Principal
from ioc.map import repository, service
from ioc.map.filters import DEFAULT_HOTSPOT_DAYS, MAX_HOTSPOT_DAYS, LayerFilters
from ioc.map.layers import LAYERS, MAX_ZOOM, Layer, LayerId
from ioc.map.schemas import (
    AlarmsQuery,
    DevicesQuery,
    FieldStaffQuery,
    HotspotsQuery,
    IncidentsQuery,
    LayerQuery,
    ReportsQuery,
    UnitsQuery,
    WarningsQuery,
)
from ioc.map.tilejson import tilejson

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
GEOJSON_CONTENT_TYPE = "application/geo+json"
TILEJSON_CACHE = {True: "public, max-age=3600", False: "private, max-age=300"}
# The largest x or y of the deepest zoom; the route refuses larger numbers before the service's exact check.
LAST_INDEX = 2**MAX_ZOOM - 1

router = APIRouter(tags=["map"])

Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description=f"Zoom, 0 to {MAX_ZOOM}.")]
TileX = Annotated[int, Path(ge=0, le=LAST_INDEX, description="Column, 0 to 2^z - 1.")]
TileY = Annotated[int, Path(ge=0, le=LAST_INDEX, description="Row, 0 to 2^z - 1 (XYZ: 0 at the top).")]
Days = Annotated[int, Query(ge=1, le=MAX_HOTSPOT_DAYS, description="The period: the last days.")]

STAFF_PROBLEMS = responses(UNAUTHENTICATED, problem(403, "Not staff of a unit (code forbidden)"))
TILE_PROBLEMS = problem(422, "z, x or y outside the zoom's range (code validation_error)")
GEOJSON_PROBLEMS = responses(
    problem(
        422,
        "Unknown parameter or bad value (code validation_error), a box larger than 1.5° (code "
        "area_too_large) or outside the province (code outside_province)",
    ),
    problem(403, "A unit outside your units (code outside_unit), or not staff (code forbidden)"),
)
TILE_CONTENT: Responses = {
    200: {
        "description": "The tile (Mapbox Vector Tile 2.1), one layer named as the map layer.",
        "content": {MVT_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    204: {"description": "No feature falls in the tile."},
    **NOT_MODIFIED,
}
GEOJSON_CONTENT: Responses = {
    200: {
        "description": "A GeoJSON FeatureCollection (lon, lat) with the foreign member `truncated`.",
        "content": {GEOJSON_CONTENT_TYPE: {"schema": {"type": "object"}}},
    }
}


def _snake(layer_id: LayerId) -> str:
    return layer_id.value.replace("-", "_")


def _policy_docs(layer: Layer) -> dict[str, Any]:
    if layer.public:
        return {"openapi_extra": PUBLIC_OPENAPI}
    return {}


async def _tile_answer(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    layer_id: LayerId,
    principal: Principal | None,
    coordinates: tuple[int, int, int],
    filters: LayerFilters,
) -> Response:
    z, x, y = coordinates
    body = await service.tile(
        db,
        layer_id,
        z,
        x,
        y,
        principal,
        filters=filters,
        position_ttl_seconds=settings.ioc_dispatch_position_ttl_seconds,
    )
    headers = service.cache_headers(layer_id, principal)
    if not body:
        return Response(status_code=204, headers=headers)
    response = cached(request, body, media_type=MVT_CONTENT_TYPE, cache_control=headers["Cache-Control"])
    response.headers.update(headers)
    return response


def _tile_handler(layer: Layer) -> Callable[..., Awaitable[Response]]:
    layer_id = layer.id
    if layer_id is LayerId.HOTSPOTS:

        async def hotspots_tile(
            request: Request,
            db: SessionDep,
            settings: SettingsDep,
            principal: Staff,
            z: Zoom,
            x: TileX,
            y: TileY,
            days: Days = DEFAULT_HOTSPOT_DAYS,
        ) -> Response:
            filters = LayerFilters(days=days)
            return await _tile_answer(request, db, settings, layer_id, principal, (z, x, y), filters)

        return hotspots_tile
    if layer.public:

        async def public_tile(
            request: Request,
            db: SessionDep,
            settings: SettingsDep,
            principal: OptionalPrincipal,
            z: Zoom,
            x: TileX,
            y: TileY,
        ) -> Response:
            return await _tile_answer(request, db, settings, layer_id, principal, (z, x, y), LayerFilters())

        return public_tile

    async def staff_tile(
        request: Request, db: SessionDep, settings: SettingsDep, principal: Staff, z: Zoom, x: TileX, y: TileY
    ) -> Response:
        return await _tile_answer(request, db, settings, layer_id, principal, (z, x, y), LayerFilters())

    return staff_tile


async def _tilejson_answer(request: Request, db: SessionDep, layer_id: LayerId) -> Response:
    document = tilejson(str(request.base_url), layer_id, await repository.province_extent(db))
    return JSONResponse(document, headers={"Cache-Control": TILEJSON_CACHE[LAYERS[layer_id].public]})


def _tilejson_handler(layer: Layer) -> Callable[..., Awaitable[Response]]:
    layer_id = layer.id
    if layer.public:

        async def public_tilejson(request: Request, db: SessionDep, principal: OptionalPrincipal) -> Response:
            return await _tilejson_answer(request, db, layer_id)

        return public_tilejson

    async def staff_tilejson(request: Request, db: SessionDep, principal: Staff) -> Response:
        return await _tilejson_answer(request, db, layer_id)

    return staff_tilejson


QUERIES: dict[LayerId, type[LayerQuery]] = {
    LayerId.UNITS: UnitsQuery,
    LayerId.DEVICES: DevicesQuery,
    LayerId.ALARMS: AlarmsQuery,
    LayerId.INCIDENTS: IncidentsQuery,
    LayerId.REPORTS: ReportsQuery,
    LayerId.FIELD_STAFF: FieldStaffQuery,
    LayerId.WARNINGS: WarningsQuery,
    LayerId.HOTSPOTS: HotspotsQuery,
}


async def _geojson_answer(
    db: SessionDep, settings: SettingsDep, layer_id: LayerId, query: LayerQuery, principal: Principal | None
) -> Response:
    body = await service.geojson(
        db, layer_id, query, principal, position_ttl_seconds=settings.ioc_dispatch_position_ttl_seconds
    )
    headers = service.cache_headers(layer_id, principal)
    return Response(body, media_type=GEOJSON_CONTENT_TYPE, headers=headers)


def _geojson_handler(layer: Layer) -> Callable[..., Awaitable[Response]]:
    layer_id = layer.id
    model = QUERIES[layer_id]
    if layer.public:

        async def public_geojson(
            db: SessionDep,
            settings: SettingsDep,
            principal: OptionalPrincipal,
            query: Annotated[model, Query()],  # type: ignore[valid-type]
        ) -> Response:
            return await _geojson_answer(db, settings, layer_id, query, principal)

        return public_geojson

    async def staff_geojson(
        db: SessionDep,
        settings: SettingsDep,
        principal: Staff,
        query: Annotated[model, Query()],  # type: ignore[valid-type]
    ) -> Response:
        return await _geojson_answer(db, settings, layer_id, query, principal)

    return staff_geojson


def _add_layer_routes(layer: Layer) -> None:
    name = _snake(layer.id)
    who = "anyone (staff see their units' view)" if layer.public else "staff of a unit, their units only"
    access = {} if layer.public else STAFF_PROBLEMS
    router.add_api_route(
        f"/tiles/{layer.id.value}/{{z}}/{{x}}/{{y}}.pbf",
        _tile_handler(layer),
        methods=["GET"],
        name=f"{name}_tile",
        summary=f"Vector tile of the {layer.id.value} layer ({who})",
        response_class=Response,
        responses=responses(TILE_CONTENT, access, TILE_PROBLEMS),
        **_policy_docs(layer),
    )
    router.add_api_route(
        f"/tiles/{layer.id.value}.json",
        _tilejson_handler(layer),
        methods=["GET"],
        name=f"{name}_tilejson",
        summary=f"TileJSON 3.0.0 of the {layer.id.value} layer",
        response_class=JSONResponse,
        responses=responses(
            {
                200: {
                    "description": "TileJSON 3.0.0",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
            access,
        ),
        **_policy_docs(layer),
    )
    router.add_api_route(
        f"/api/v1/map/{layer.id.value}.geojson",
        _geojson_handler(layer),
        methods=["GET"],
        name=f"{name}_geojson",
        summary=f"The {layer.id.value} layer in a box as GeoJSON ({who})",
        response_class=Response,
        responses=responses(GEOJSON_CONTENT, access, GEOJSON_PROBLEMS),
        **_policy_docs(layer),
    )


for _layer in LAYERS.values():
    _add_layer_routes(_layer)
