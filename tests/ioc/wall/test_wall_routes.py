"""GET /ioc, its config and its assets, in process: the shell names the hashed bundle and is never cached,
the assets are kept for a year, only files of the manifest are served, a missing bundle is a clear 503, and
the base-map style URL comes from the settings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from core.http.resources import Resources
from core.settings import Settings
from ioc.map.levels import SCALES

Client = Callable[..., Any]
MANIFEST = {
    "app.js": "wall-AB12.js",
    "app.css": "wall-CD34.css",
    "maplibre-worker.js": "maplibre-gl-worker-EF56.mjs",
}


def _bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    (folder / "wall-AB12.js").write_text("console.log('wall');")
    (folder / "wall-CD34.css").write_text("body{}")
    (folder / "maplibre-gl-worker-EF56.mjs").write_text("self.onmessage=()=>{};")
    (folder / "secret.txt").write_text("not in the manifest")
    return folder


@pytest.fixture
def wall_client(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis
) -> Client:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        custom = settings.model_copy(update=overrides)
        app = create_app(custom)
        app.state.resources = Resources(
            settings=custom, engine=engine, sessionmaker=sessionmaker, redis=redis
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return make


async def test_the_page_names_the_hashed_bundle_and_is_never_cached(
    wall_client: Client, tmp_path: Path
) -> None:
    async with wall_client(ioc_wall_dist_dir=_bundle(tmp_path / "dist")) as client:
        page = await client.get("/ioc")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/ioc/assets/wall-AB12.js">' in page.text
    assert '<link rel="stylesheet" href="/ioc/assets/wall-CD34.css">' in page.text
    assert '<html lang="vi">' in page.text


async def test_assets_are_kept_for_a_year_and_only_the_manifests_files_are_served(
    wall_client: Client, tmp_path: Path
) -> None:
    async with wall_client(ioc_wall_dist_dir=_bundle(tmp_path / "dist")) as client:
        script = await client.get("/ioc/assets/wall-AB12.js")
        styles = await client.get("/ioc/assets/wall-CD34.css")
        worker = await client.get("/ioc/assets/maplibre-gl-worker-EF56.mjs")
        unlisted = await client.get("/ioc/assets/secret.txt")
        manifest = await client.get("/ioc/assets/manifest.json")
        climbing = await client.get("/ioc/assets/..%2F..%2Fpyproject.toml")

    assert script.status_code == 200
    assert script.text == "console.log('wall');"
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert styles.headers["content-type"] == "text/css; charset=utf-8"
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    for refused in (unlisted, manifest):
        assert refused.status_code == 404
        assert refused.json()["code"] == "wall_asset_not_found"
    assert climbing.status_code in (404, 422)


async def test_a_missing_bundle_is_a_clear_503(wall_client: Client, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"app.js": "wall.js"}))
    async with wall_client(ioc_wall_dist_dir=tmp_path / "never-built") as client:
        page = await client.get("/ioc", headers={"accept-language": "en"})
        config = await client.get("/ioc/config.json")
    async with wall_client(ioc_wall_dist_dir=broken) as client:
        incomplete = await client.get("/ioc")

    for answer in (page, config, incomplete):
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "wall_not_built"
    assert "scripts/bootstrap.sh" in page.json()["detail"]


async def test_the_config_names_the_worker_and_the_base_map_style_setting(
    wall_client: Client, tmp_path: Path
) -> None:
    dist = _bundle(tmp_path / "dist")
    async with wall_client(ioc_wall_dist_dir=dist) as client:
        plain = (await client.get("/ioc/config.json")).json()
    style = "https://maps.example.org/style.json"
    async with wall_client(ioc_wall_dist_dir=dist, ioc_basemap_style_url=style) as client:
        styled = (await client.get("/ioc/config.json")).json()

    assert plain["basemap_style_url"] is None
    assert plain["worker_url"] == "/ioc/assets/maplibre-gl-worker-EF56.mjs"
    assert plain["layers"][0] == "units"
    assert set(plain["layers"]) == {
        "units",
        "devices",
        "alarms",
        "incidents",
        "reports",
        "field-staff",
        "warnings",
        "hotspots",
    }
    assert (plain["api_base"], plain["ws_path"], plain["tiles_base"]) == ("/api/v1", "/ws", "/tiles")
    assert styled["basemap_style_url"] == style
    # The page colours live devices by the very scales the tiles use.
    assert plain["levels"]["water_level"] == {"metric": "level_cm", "thresholds": [10.0, 20.0, 30.0, 40.0]}
    assert plain["levels"]["air_quality"] == {"metric": "pm25", "thresholds": [25.0, 50.0, 80.0, 150.0]}
    assert set(plain["levels"]) == {str(kind) for kind in SCALES}


def test_a_base_map_style_that_is_not_a_web_url_is_refused(settings: Settings) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({**settings.model_dump(), "ioc_basemap_style_url": "javascript:alert(1)"})
