"""What the wall's script reads before anything else: where the API is and how to draw the map."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WallConfig(BaseModel):
    api_base: str = Field(description="Prefix of the API's paths, relative to the page's origin.")
    ws_path: str = Field(description="Path of the live channel.")
    tiles_base: str = Field(description="Prefix of the TileJSON and tile URLs.")
    basemap_style_url: str | None = Field(
        description="A MapLibre style drawn under the layers; null: the units' vector tiles are the base map."
    )
    worker_url: str = Field(description="MapLibre's worker script, served with the bundle.")
    layers: list[str] = Field(description="The map layers the wall draws, bottom to top.")
