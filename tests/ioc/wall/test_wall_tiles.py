"""The wall's map in Chromium: MapLibre gets a WebGL context (software, no GPU), reads the units' TileJSON and
fetches its vector tiles with the officer's token, and the map becomes idle. These need the map layers'
routes (/tiles/{layer}.json and /tiles/{layer}/{z}/{x}/{y}.pbf, ioc/map)."""

from __future__ import annotations

import re

from playwright.async_api import Page, Request, expect

from tests.ioc.rules.live.support import LiveRules
from tests.ioc.wall.support import Stack, add_officer, sign_in, wall_counter
from tests.iot.ingest.support import LiveDb, wait_until

TILE = re.compile(r"/tiles/units/(\d+)/(\d+)/(\d+)\.pbf(\?|$)")


async def test_the_map_renders_the_units_tiles_with_webgl(
    page: Page, stack: Stack, live_db: LiveDb, live_rules: LiveRules
) -> None:
    tile_requests: list[Request] = []
    # On the context: MapLibre may fetch tiles from its worker, whose requests the context sees too.
    page.context.on(
        "request", lambda request: tile_requests.append(request) if TILE.search(request.url) else None
    )

    await sign_in(page, stack, await add_officer(live_db.connection))

    canvas = page.locator("#map canvas.maplibregl-canvas")
    await expect(canvas).to_be_visible()
    webgl = await page.evaluate(
        "() => { const c = document.querySelector('#map canvas.maplibregl-canvas');"
        " const gl = c && (c.getContext('webgl2') || c.getContext('webgl'));"
        " return gl ? gl.getParameter(gl.VERSION) : null; }"
    )
    assert webgl is not None
    assert "WebGL" in webgl, webgl
    await wait_until(
        "the units' TileJSON from GET /tiles/units.json (ioc/map)", lambda: _loaded(page, "units"), within=15
    )
    assert "units" not in await wall_counter(page, "tileJsonFailed")
    await wait_until("a units tile", lambda: bool(tile_requests), within=15)
    await wait_until("the map idle", lambda: _idle(page), within=20)

    first = tile_requests[0]
    assert (first.headers.get("authorization") or "").startswith("Bearer ")
    response = await first.response()
    assert response is not None
    assert response.status in (200, 204), response.status
    if response.status == 200:
        assert response.headers["content-type"].startswith("application/vnd.mapbox-vector-tile")
    z, x, y = (int(part) for part in TILE.search(first.url).groups()[:3])  # type: ignore[union-attr]
    assert 0 <= x < 2**z
    assert 0 <= y < 2**z


async def _loaded(page: Page, layer: str) -> bool:
    return layer in await wall_counter(page, "tileJsonLoaded")


async def _idle(page: Page) -> bool:
    return await wall_counter(page, "firstMapIdleAt") is not None
