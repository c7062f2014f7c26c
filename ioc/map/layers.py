"""The map's layers: who may read each, what its features carry, the zooms it is drawn at, and its caching.

Point layers are clustered below `single_from`: the tile is cut into CLUSTER_CELLS × CLUSTER_CELLS cells
(32 px on a 256 px tile) and each cell with points is one feature whose `count` is their number, at their
mean position. From `single_from` on, points are far enough apart to be drawn one by one (a city block is
tens of pixels at z15, where reports stop overlapping; devices are sparser and separate from z13). Hotspots
are report counts per square cell of HOTSPOT_CELLS per tile side; units are simplified per zoom band.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Cells per tile side when clustering (256 px / 8 = 32 px cells) and for hotspots.
CLUSTER_CELLS = 8
HOTSPOT_CELLS = 8
MAX_ZOOM = 22
# The extent and buffer of every tile (ST_AsMVTGeom's defaults): 4096 units a side, 64 of margin.
TILE_EXTENT = 4096
TILE_BUFFER = 64


class LayerId(StrEnum):
    UNITS = "units"
    DEVICES = "devices"
    ALARMS = "alarms"
    INCIDENTS = "incidents"
    REPORTS = "reports"
    FIELD_STAFF = "field-staff"
    WARNINGS = "warnings"
    HOTSPOTS = "hotspots"


class Geometry(StrEnum):
    POINT = "point"
    POLYGON = "polygon"


@dataclass(frozen=True, slots=True)
class Layer:
    id: LayerId
    # Anonymous callers may read it (public reports show no identity and only what the public feed shows).
    public: bool
    geometry: Geometry
    # Property name -> TileJSON type ("String", "Number", "Boolean"), the same names in GeoJSON.
    fields: dict[str, str]
    minzoom: int
    maxzoom: int
    # Point layers: single features from this zoom, clusters below it; None for polygon layers.
    single_from: int | None
    # Cache-Control of its tiles; the content depends on the caller unless the layer is the same for all.
    cache_control: str
    per_caller: bool
    title: tuple[str, str]

    @property
    def clustered(self) -> bool:
        return self.single_from is not None

    def clusters_at(self, z: int) -> bool:
        return self.single_from is not None and z < self.single_from


_COUNT = {"count": "Number"}
# Live layers change by the second; a few seconds of cache spares the database a wall's repeated fetches.
_LIVE_PRIVATE = "private, max-age=5"
_LIVE_PUBLIC = "public, max-age=15"
_BASE_MAP = "public, max-age=86400"


def _staff_points(
    layer_id: LayerId, fields: dict[str, str], single_from: int, title: tuple[str, str]
) -> Layer:
    """A live point layer for staff of their units: clustered below `single_from`."""
    return Layer(
        layer_id,
        public=False,
        geometry=Geometry.POINT,
        fields=_COUNT | fields,
        minzoom=0,
        maxzoom=MAX_ZOOM,
        single_from=single_from,
        cache_control=_LIVE_PRIVATE,
        per_caller=True,
        title=title,
    )


_TEXT, _NUMBER, _BOOLEAN = "String", "Number", "Boolean"

LAYERS: dict[LayerId, Layer] = {
    layer.id: layer
    for layer in (
        Layer(
            LayerId.UNITS,
            public=True,
            geometry=Geometry.POLYGON,
            fields={"code": _TEXT, "name": _TEXT, "name_en": _TEXT, "level": _TEXT},
            minzoom=0,
            maxzoom=14,
            single_from=None,
            cache_control=_BASE_MAP,
            per_caller=False,
            title=("Đơn vị hành chính", "Administrative units"),
        ),
        _staff_points(
            LayerId.DEVICES,
            {
                "id": _TEXT,
                "type": _TEXT,
                "online": _BOOLEAN,
                "level": _NUMBER,
                "metric": _TEXT,
                "value": _NUMBER,
                "offline": _NUMBER,
            },
            13,
            ("Thiết bị", "Devices"),
        ),
        _staff_points(
            LayerId.ALARMS,
            {
                "id": _TEXT,
                "severity": _TEXT,
                "status": _TEXT,
                "title": _TEXT,
                "title_en": _TEXT,
                "unit_code": _TEXT,
                "raised_at": _TEXT,
            },
            13,
            ("Cảnh báo đang hoạt động", "Active alarms"),
        ),
        _staff_points(
            LayerId.INCIDENTS,
            {
                "id": _TEXT,
                "status": _TEXT,
                "title": _TEXT,
                "title_en": _TEXT,
                "alarms": _NUMBER,
                "reports": _NUMBER,
            },
            11,
            ("Sự cố", "Incidents"),
        ),
        # Public, but the staff's view holds their units' non-public reports too: cached per caller.
        Layer(
            LayerId.REPORTS,
            public=True,
            geometry=Geometry.POINT,
            fields=_COUNT | {"id": _TEXT, "category": _TEXT, "status": _TEXT, "created_at": _TEXT},
            minzoom=0,
            maxzoom=MAX_ZOOM,
            single_from=15,
            cache_control=_LIVE_PRIVATE,
            per_caller=True,
            title=("Phản ánh hiện trường", "Citizen reports"),
        ),
        _staff_points(
            LayerId.FIELD_STAFF,
            {"id": _TEXT, "name": _TEXT, "available": _BOOLEAN, "updated_at": _TEXT},
            11,
            ("Cán bộ hiện trường", "Field staff"),
        ),
        Layer(
            LayerId.WARNINGS,
            public=True,
            geometry=Geometry.POLYGON,
            fields={
                name: _TEXT for name in ("id", "severity", "event", "event_en", "headline", "headline_en")
            },
            minzoom=0,
            maxzoom=MAX_ZOOM,
            single_from=None,
            cache_control=_LIVE_PUBLIC,
            per_caller=False,
            title=("Cảnh báo công cộng", "Public warnings"),
        ),
        Layer(
            LayerId.HOTSPOTS,
            public=False,
            geometry=Geometry.POLYGON,
            fields={"count": _NUMBER},
            minzoom=0,
            maxzoom=16,
            single_from=None,
            cache_control=_LIVE_PRIVATE,
            per_caller=True,
            title=("Điểm nóng phản ánh", "Report hotspots"),
        ),
    )
}


def layer(layer_id: LayerId) -> Layer:
    return LAYERS[layer_id]
