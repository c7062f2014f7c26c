"""TileJSON 3.0.0 documents: how MapLibre finds a layer's tiles, zooms and fields."""

from __future__ import annotations

from typing import Any

from ioc.map.layers import LAYERS, LayerId
from ioc.map.repository import Extent

# The whole world when no province is stored yet; MapLibre still needs bounds and a centre.
WORLD_BOUNDS = [-180.0, -85.0511, 180.0, 85.0511]
CENTRE_ZOOM = 10


def tile_url_template(base_url: str, layer_id: LayerId) -> str:
    return f"{base_url.rstrip('/')}/tiles/{layer_id.value}/{{z}}/{{x}}/{{y}}.pbf"


def tilejson(base_url: str, layer_id: LayerId, extent: Extent | None) -> dict[str, Any]:
    layer = LAYERS[layer_id]
    if extent is None:
        bounds, centre = WORLD_BOUNDS, [0.0, 0.0, 0]
    else:
        box = extent.bbox
        bounds = [box.min_lon, box.min_lat, box.max_lon, box.max_lat]
        centre = [extent.centre_lon, extent.centre_lat, CENTRE_ZOOM]
    vi, en = layer.title
    return {
        "tilejson": "3.0.0",
        "name": layer_id.value,
        "description": f"{vi} / {en}",
        "scheme": "xyz",
        "tiles": [tile_url_template(base_url, layer_id)],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": [round(value, 6) for value in bounds],
        "center": [round(centre[0], 6), round(centre[1], 6), centre[2]],
        "vector_layers": [
            {
                "id": layer_id.value,
                "description": _describe(layer_id),
                "fields": layer.fields,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
            }
        ],
    }


def _describe(layer_id: LayerId) -> str:
    layer = LAYERS[layer_id]
    if layer.single_from is None:
        return f"{layer.title[1]}."
    return (
        f"{layer.title[1]}: clusters with `count` below zoom {layer.single_from}, "
        f"single features (count 1) from zoom {layer.single_from}."
    )
