"""The GeoJSON layers' query parameters, one model per layer: `bbox`, `limit` and the layer's filters.

Unknown parameters are refused (core/http/query_models.py), so a misspelt filter is a 422, never a silently
unfiltered answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.bbox import BBOX_DESCRIPTION, BBOX_EXAMPLE
from core.http.query_models import StrictQuery
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.reports.status import ReportStatus
from ioc.map.filters import DEFAULT_HOTSPOT_DAYS, DEFAULT_LIMIT, MAX_HOTSPOT_DAYS, MAX_LIMIT, LayerFilters
from ioc.types import Severity
from ioc.warnings.vocabulary import CapSeverity
from iot.types import DeviceType

MAX_LISTED = 20
UnitCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{2}|[0-9]{5})$")]
CategoryCode = Annotated[str, StringConstraints(pattern=CATEGORY_CODE_PATTERN)]
ActiveAlarmStatus = Literal["active_unacknowledged", "active_acknowledged"]


class LayerQuery(StrictQuery):
    bbox: str = Field(max_length=200, description=BBOX_DESCRIPTION, examples=[BBOX_EXAMPLE])
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="At most this many features.")

    def filters(self) -> LayerFilters:
        return LayerFilters()


class UnitQuery(LayerQuery):
    unit_code: UnitCode | None = Field(
        None, description="Only this unit (a province or one of its wards); 403 outside your units."
    )


class UnitsQuery(LayerQuery):
    level: Literal["province", "ward"] | None = None

    def filters(self) -> LayerFilters:
        return LayerFilters(level=self.level)


class DevicesQuery(UnitQuery):
    type: list[DeviceType] | None = Field(None, max_length=MAX_LISTED)
    online: bool | None = None

    def filters(self) -> LayerFilters:
        return LayerFilters(
            unit_code=self.unit_code, types=tuple(t.value for t in self.type or ()), online=self.online
        )


class AlarmsQuery(UnitQuery):
    severity: list[Severity] | None = Field(None, max_length=MAX_LISTED)
    status: list[ActiveAlarmStatus] | None = Field(
        None, max_length=MAX_LISTED, description="The layer shows active alarms only."
    )

    def filters(self) -> LayerFilters:
        return LayerFilters(
            unit_code=self.unit_code,
            severities=tuple(s.value for s in self.severity or ()),
            statuses=tuple(self.status or ()),
        )


class IncidentsQuery(UnitQuery):
    def filters(self) -> LayerFilters:
        return LayerFilters(unit_code=self.unit_code)


class ReportsQuery(UnitQuery):
    category: list[CategoryCode] | None = Field(None, max_length=MAX_LISTED)
    status: list[ReportStatus] | None = Field(
        None, max_length=MAX_LISTED, description="Open reports (submitted to in progress) when not given."
    )

    def filters(self) -> LayerFilters:
        return LayerFilters(
            unit_code=self.unit_code,
            categories=tuple(self.category or ()),
            statuses=tuple(s.value for s in self.status or ()),
        )


class FieldStaffQuery(UnitQuery):
    available: bool | None = None

    def filters(self) -> LayerFilters:
        return LayerFilters(unit_code=self.unit_code, available=self.available)


class WarningsQuery(LayerQuery):
    severity: list[CapSeverity] | None = Field(None, max_length=MAX_LISTED)

    def filters(self) -> LayerFilters:
        return LayerFilters(severities=tuple(s.value for s in self.severity or ()))


class HotspotsQuery(UnitQuery):
    days: int = Field(
        DEFAULT_HOTSPOT_DAYS, ge=1, le=MAX_HOTSPOT_DAYS, description="The period: the last days."
    )
    category: list[CategoryCode] | None = Field(None, max_length=MAX_LISTED)

    def filters(self) -> LayerFilters:
        return LayerFilters(unit_code=self.unit_code, days=self.days, categories=tuple(self.category or ()))
