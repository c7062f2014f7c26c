"""The filters a layer's GeoJSON (and, for hotspots, its tiles) may take, already validated."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
DEFAULT_HOTSPOT_DAYS = 30
MAX_HOTSPOT_DAYS = 365


@dataclass(frozen=True, slots=True)
class LayerFilters:
    """Empty tuples and None mean "no filter". Every value here was checked against its vocabulary."""

    unit_code: str | None = None
    # devices
    types: tuple[str, ...] = ()
    online: bool | None = None
    # alarms (severities), warnings (severities), reports (statuses), alarms (statuses)
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    # reports and hotspots
    categories: tuple[str, ...] = ()
    days: int = DEFAULT_HOTSPOT_DAYS
    # units
    level: str | None = None
    # field staff
    available: bool | None = None


NO_FILTERS = LayerFilters()
