"""The wall's routes: the page, its config and its hashed assets. All public: none of them holds data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse, HTMLResponse

from core.errors import Message, ProblemError
from core.http.deps import SettingsDep
from core.http.policies import PUBLIC
from ioc.map.levels import SCALES
from ioc.wall.assets import MAP_WORKER, Bundle, content_type, load_bundle
from ioc.wall.page import ASSETS_PATH, CONFIG_PATH, render_page
from ioc.wall.schemas import LevelScaleRead, WallConfig

router = APIRouter(tags=["wall"], include_in_schema=False)

# The layers of the map contract (ioc/map), bottom to top; units is the base map.
LAYERS = ["units", "hotspots", "warnings", "reports", "incidents", "devices", "field-staff", "alarms"]
# A hashed name changes with its content, so it may be kept for a year and never asked again.
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = ProblemError(
    503,
    "wall_not_built",
    Message(
        "Chưa có bản dựng của trang: chạy scripts/bootstrap.sh (npm ci và esbuild).",
        "The page's bundle is missing: run scripts/bootstrap.sh (npm ci and esbuild).",
    ),
)


def _bundle(settings: SettingsDep) -> Bundle:
    bundle = load_bundle(settings.ioc_wall_dist_dir)
    if bundle is None:
        raise NOT_BUILT
    return bundle


BundleDep = Annotated[Bundle, Depends(_bundle)]


@router.get("/ioc", dependencies=[PUBLIC], response_class=HTMLResponse, summary="The wall page")
async def wall_page(bundle: BundleDep) -> HTMLResponse:
    # Never cached: it names the current bundle.
    return HTMLResponse(
        render_page(bundle),
        headers={
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get(CONFIG_PATH, dependencies=[PUBLIC], summary="The wall's settings")
async def wall_config(bundle: BundleDep, settings: SettingsDep) -> WallConfig:
    style = settings.ioc_basemap_style_url
    return WallConfig(
        api_base="/api/v1",
        ws_path="/ws",
        tiles_base="/tiles",
        basemap_style_url=style or None,
        worker_url=bundle.url(MAP_WORKER, ASSETS_PATH),
        layers=LAYERS,
        levels={
            str(kind): LevelScaleRead(metric=scale.metric, thresholds=list(scale.thresholds))
            for kind, scale in SCALES.items()
        },
    )


@router.get(ASSETS_PATH + "/{file_name}", dependencies=[PUBLIC], summary="A file of the wall's bundle")
async def wall_asset(
    bundle: BundleDep, file_name: Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9._-]+$")]
) -> FileResponse:
    path = bundle.path_of(file_name)
    if path is None:
        raise ProblemError(404, "wall_asset_not_found")
    return FileResponse(
        path,
        media_type=content_type(file_name),
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )
