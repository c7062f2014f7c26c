"""Bounding boxes of map queries: the `bbox=min_lon,min_lat,max_lon,max_lat` parameter and its rules.

One set of rules for every list and layer that takes a box: four finite numbers in WGS 84 (GeoJSON order,
lon before lat), each min below its max, inside the world's range (422 validation_error), and no larger than
a province on either side (422 area_too_large): a larger box is a query for the whole country. A layer of
the province may also refuse a box that misses the province altogether (422 outside_province,
`ensure_meets`): nothing there is ever drawn, and saying so helps a client with swapped coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import Message, ProblemError, invalid_parameter

# A province is about 1.5 degrees across.
MAX_BOX_DEGREES = 1.5
BBOX_DESCRIPTION = "min_lon,min_lat,max_lon,max_lat (WGS 84), at most 1.5° on a side."
BBOX_EXAMPLE = "106.14,20.40,106.22,20.46"
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def meets(self, other: BBox) -> bool:
        """True when the two boxes share at least a point."""
        return (
            self.min_lon <= other.max_lon
            and other.min_lon <= self.max_lon
            and self.min_lat <= other.max_lat
            and other.min_lat <= self.max_lat
        )


@dataclass(frozen=True, slots=True)
class Circle:
    """A point and a radius in metres, as a "near me" query gives it."""

    lat: float
    lon: float
    radius_m: float

    def bbox(self) -> BBox:
        """A box holding the circle, for the GIST index; the exact distance is checked on geography."""
        dlat = self.radius_m / METRES_PER_DEGREE
        dlon = self.radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(self.lat)), 0.01))
        return BBox(
            max(self.lon - dlon, -180.0),
            max(self.lat - dlat, -90.0),
            min(self.lon + dlon, 180.0),
            min(self.lat + dlat, 90.0),
        )


def parse_bbox(text: str, *, parameter: str = "bbox") -> BBox:
    """The box of `min_lon,min_lat,max_lon,max_lat`; 422 validation_error when malformed, inverted or out of
    range, 422 area_too_large when larger than a province."""
    bad = invalid_parameter(
        parameter,
        Message(
            "bbox phải là min_lon,min_lat,max_lon,max_lat với min nhỏ hơn max",
            "bbox must be min_lon,min_lat,max_lon,max_lat with each min below its max",
        ),
    )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
    except ValueError as error:
        raise bad from error
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise bad
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise bad
    if max_lon - min_lon > MAX_BOX_DEGREES or max_lat - min_lat > MAX_BOX_DEGREES:
        raise area_too_large(parameter)
    return BBox(min_lon, min_lat, max_lon, max_lat)


def area_too_large(parameter: str = "bbox") -> ProblemError:
    return invalid_parameter(
        parameter,
        Message("Vùng tìm kiếm không được lớn hơn 1,5 độ mỗi chiều", "The box may be at most 1.5° on a side"),
        code="area_too_large",
    )


def ensure_meets(box: BBox, province: BBox | None, parameter: str = "bbox") -> None:
    """Nothing when `box` meets the province's extent; 422 outside_province otherwise, or with no province."""
    if province is None or not box.meets(province):
        raise invalid_parameter(
            parameter,
            Message("Vùng tìm kiếm nằm ngoài địa bàn tỉnh", "The box is outside the province"),
            code="outside_province",
        )
