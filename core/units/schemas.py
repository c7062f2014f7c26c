"""Response models for administrative units."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.units.models import UnitLevel

# A GeoJSON position: longitude, latitude (RFC 7946 order).
Position = list[float]


class LabelPoint(BaseModel):
    """Where to put the unit's label on a map: a point guaranteed to lie inside the unit."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class UnitSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "13666",
                    "name": "Phường Nam Định",
                    "name_en": "Nam Dinh Ward",
                    "level": "ward",
                    "parent_code": "37",
                    "centroid": {"lat": 20.43, "lon": 106.18},
                    "demo_geometry": True,
                }
            ]
        }
    )

    code: str = Field(description="Code of the national statistics office: 2 digits (province) or 5 (ward).")
    name: str
    name_en: str
    level: UnitLevel
    parent_code: str | None = Field(description="The province of a ward; null for a province.")
    centroid: LabelPoint = Field(
        description="A point inside the unit (point on surface, not the geometric centroid, which can fall "
        "outside a concave unit)."
    )
    demo_geometry: bool = Field(description="True when the boundary is generated demo data, not official.")


class MultiPolygonGeometry(BaseModel):
    type: Literal["MultiPolygon"] = "MultiPolygon"
    coordinates: list[list[list[Position]]] = Field(description="Polygons of rings of [lon, lat] positions.")


class UnitFeature(BaseModel):
    """A unit as a GeoJSON Feature (RFC 7946), with its boundary."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: MultiPolygonGeometry
    properties: UnitSummary


class Location(BaseModel):
    """The units containing a point. `ward` is null when the point is in the province but in none of its wards
    that are known."""

    province: UnitSummary
    ward: UnitSummary | None
