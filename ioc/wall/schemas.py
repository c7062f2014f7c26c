"""What the wall's script reads before anything else: where the API is and how to draw the map."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LevelScaleRead(BaseModel):
    metric: str = Field(description="The metric the level is read from.")
    thresholds: list[float] = Field(description="A reading at or above thresholds[i] is at level i + 1.")


class WallConfig(BaseModel):
    api_base: str = Field(description="Prefix of the API's paths, relative to the page's origin.")
    ws_path: str = Field(description="Path of the live channel.")
    tiles_base: str = Field(description="Prefix of the TileJSON and tile URLs.")
    basemap_style_url: str | None = Field(
        description="A MapLibre style drawn under the layers; null: the units' vector tiles are the base map."
    )
    worker_url: str = Field(description="MapLibre's worker script, served with the bundle.")
    layers: list[str] = Field(description="The map layers the wall draws, bottom to top.")
    levels: dict[str, LevelScaleRead] = Field(
        description="Per device type, the scale the tiles colour devices by (ioc/map/levels.py), so that a "
        "device recoloured by a live update agrees with the next tile."
    )
