"""What the list routes answer: pages of report summaries, the officers' inbox, and the map layer."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from feedback.reports.schemas import REPORT_CODE_EXAMPLE, ReportSummary
from feedback.reports.status import ReportStatus, SlaState
from mobile_contract.events import LatLon

NEXT_CURSOR_DESCRIPTION = "Pass as `cursor` to get the next page; null on the last page."


class ReportPage(BaseModel):
    """One page of reports, newest first."""

    items: list[ReportSummary]
    next_cursor: str | None = Field(description=NEXT_CURSOR_DESCRIPTION)


class InboxItem(BaseModel):
    """One line of the officers' inbox. Staff see who filed a report, even an anonymous one, but a list never
    carries the reporter's phone."""

    id: uuid.UUID
    code: str = Field(examples=[REPORT_CODE_EXAMPLE])
    category_code: str
    description: str = Field(description="The first 200 characters of the description.")
    location: LatLon
    address: str | None
    ward_code: str | None
    unit_code: str
    department_code: str
    status: ReportStatus
    sla_state: SlaState
    urgent: bool
    anonymous: bool
    support_count: int
    created_at: AwareDatetime
    acknowledge_due_at: AwareDatetime
    resolve_due_at: AwareDatetime
    assignee_id: uuid.UUID | None
    reporter_name: str | None = Field(description="The reporter's display name (null when unknown).")
    thumbnail_url: str | None = Field(description="The first photo's thumbnail, if any.")


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None = Field(description=NEXT_CURSOR_DESCRIPTION)


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[lon, lat] (GeoJSON order).")


class MapProperties(BaseModel):
    id: uuid.UUID
    code: str = Field(examples=[REPORT_CODE_EXAMPLE])
    category_code: str
    status: ReportStatus
    urgent: bool
    support_count: int
    created_at: AwareDatetime


class MapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: uuid.UUID
    geometry: PointGeometry
    properties: MapProperties


class MapFeatureCollection(BaseModel):
    """Public reports as a GeoJSON FeatureCollection, newest first, with `next_cursor` as a foreign member."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "next_cursor": None,
                    "features": [
                        {
                            "type": "Feature",
                            "id": "5b0b7f4e-8d38-4c8f-9a43-2d5c4b6f7a10",
                            "geometry": {"type": "Point", "coordinates": [106.17, 20.43]},
                            "properties": {
                                "id": "5b0b7f4e-8d38-4c8f-9a43-2d5c4b6f7a10",
                                "code": REPORT_CODE_EXAMPLE,
                                "category_code": "road_damage",
                                "status": "accepted",
                                "urgent": False,
                                "support_count": 2,
                                "created_at": "2026-11-20T02:00:00Z",
                            },
                        }
                    ],
                }
            ]
        }
    )

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]
    next_cursor: str | None = Field(description=NEXT_CURSOR_DESCRIPTION)
