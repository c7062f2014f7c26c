"""Every statement of the map: tiles (`tile_query`), GeoJSON (`geojson_query`), the province's extent."""

from ioc.map.repository.geojson import geojson_query
from ioc.map.repository.run import Extent, fetch_bytes, fetch_text, province_extent
from ioc.map.repository.tiles import tile_query

__all__ = ["Extent", "fetch_bytes", "fetch_text", "geojson_query", "province_extent", "tile_query"]
