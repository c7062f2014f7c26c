"""The map's rules: valid tiles and boxes, who sees which rows, and which cache headers an answer carries."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import ensure_meets, parse_bbox
from core.errors import Message, invalid_parameter
from core.identity.principal import Principal
from ioc.map import repository
from ioc.map.filters import NO_FILTERS, LayerFilters
from ioc.map.layers import LAYERS, MAX_ZOOM, LayerId
from ioc.map.schemas import LayerQuery
from ioc.map.scope import MapScope, map_scope, token_scope

PUBLIC_LIVE_CACHE = "public, max-age=15"


def check_tile(z: int, x: int, y: int) -> None:
    """422 validation_error unless 0 <= z <= 22 and x, y name a tile of that zoom (0 .. 2^z - 1)."""
    if not 0 <= z <= MAX_ZOOM:
        raise invalid_parameter(
            "z", Message(f"z phải từ 0 đến {MAX_ZOOM}", f"z must be 0 to {MAX_ZOOM}"), location="path"
        )
    last = 2**z - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise invalid_parameter(
                name,
                Message(f"{name} phải từ 0 đến {last} ở mức {z}", f"{name} must be 0 to {last} at zoom {z}"),
                location="path",
            )


async def scope_for(session: AsyncSession, principal: Principal | None, unit_code: str | None) -> MapScope:
    """The caller's scope, narrowed to `unit_code` when a filter asks (403 outside_unit beyond his units).

    Without a filter the query resolves the caller's wards itself, so the answer costs one round trip. The
    public view has no units to narrow: a unit filter there only filters public rows."""
    if unit_code is None:
        return token_scope(principal)
    scope = await map_scope(session, principal)
    return scope.narrowed_to(unit_code) if scope.staff else scope


async def tile(
    session: AsyncSession,
    layer_id: LayerId,
    z: int,
    x: int,
    y: int,
    principal: Principal | None,
    *,
    filters: LayerFilters = NO_FILTERS,
    position_ttl_seconds: int,
) -> bytes:
    """The tile's bytes as PostgreSQL encoded them (empty when no feature falls in it)."""
    check_tile(z, x, y)
    scope = await scope_for(session, principal, filters.unit_code)
    statement, params = repository.tile_query(
        layer_id, z, x, y, scope, filters=filters, position_ttl_seconds=position_ttl_seconds
    )
    return await repository.fetch_bytes(session, statement, params)


async def geojson(
    session: AsyncSession,
    layer_id: LayerId,
    query: LayerQuery,
    principal: Principal | None,
    *,
    position_ttl_seconds: int,
) -> str:
    """The FeatureCollection as JSON text. The box follows core/bbox.py's rules and must meet the province
    (422 outside_province); a unit filter beyond the caller's units is 403 outside_unit."""
    box = parse_bbox(query.bbox)
    extent = await repository.province_extent(session)
    ensure_meets(box, extent.bbox if extent else None)
    filters = query.filters()
    scope = await scope_for(session, principal, filters.unit_code)
    statement, params = repository.geojson_query(
        layer_id, box, filters, query.limit, scope, position_ttl_seconds=position_ttl_seconds
    )
    return await repository.fetch_text(session, statement, params)


def cache_headers(layer_id: LayerId, principal: Principal | None) -> dict[str, str]:
    """Cache-Control for the layer's tiles, with Vary: Authorization where the content depends on the caller.

    An anonymous caller's view of a live public layer is the same for everyone, so shared caches may keep it
    briefly; a signed-in caller's view is his own."""
    layer = LAYERS[layer_id]
    cache_control = layer.cache_control
    if layer.per_caller and layer.public and principal is None:
        cache_control = PUBLIC_LIVE_CACHE
    headers = {"Cache-Control": cache_control}
    if layer.per_caller:
        headers["Vary"] = "Authorization"
    return headers
