"""TileJSON documents: absolute tile URLs, the layer's fields and zooms, the province's bounds."""

from __future__ import annotations

import httpx

from ioc.map.layers import LAYERS
from tests.ioc.map.conftest import Callers


async def test_tilejson_of_every_layer(client: httpx.AsyncClient, callers: Callers) -> None:
    for layer_id, layer in LAYERS.items():
        response = await client.get(f"/tiles/{layer_id.value}.json", headers=callers.officer_a.headers)
        assert response.status_code == 200, response.text
        document = response.json()
        assert document["tilejson"] == "3.0.0"
        assert document["tiles"] == [f"http://testserver/tiles/{layer_id.value}/{{z}}/{{x}}/{{y}}.pbf"]
        [vector_layer] = document["vector_layers"]
        assert vector_layer["id"] == layer_id.value
        assert vector_layer["fields"] == layer.fields
        assert (vector_layer["minzoom"], vector_layer["maxzoom"]) == (layer.minzoom, layer.maxzoom)
        min_lon, min_lat, max_lon, max_lat = document["bounds"]
        # The demo province's extent.
        assert (min_lon, min_lat, max_lon, max_lat) == (106.092, 20.370885, 106.247, 20.497)
        lon, lat, zoom = document["center"]
        assert min_lon <= lon <= max_lon
        assert min_lat <= lat <= max_lat
        assert zoom == 10


async def test_public_tilejson_for_anonymous_callers(client: httpx.AsyncClient, callers: Callers) -> None:
    for name in ("units", "reports", "warnings"):
        response = await client.get(f"/tiles/{name}.json")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=3600"
    devices = await client.get("/tiles/devices.json", headers=callers.admin.headers)
    assert devices.json()["vector_layers"][0]["fields"]["level"] == "Number"
    assert "count" in devices.json()["vector_layers"][0]["fields"]
