"""What the KPI routes answer: one model per section (told apart by `section`), and the time series.

Durations are seconds; rates are shares between 0 and 1 rounded to 4 places, null when nothing was there
to count. No figure names or reaches a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dossiers.figures.schemas import Figures
from ioc.kpis.period import Interval


class KpiHeader(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    unit_code: str | None = Field(
        description="The unit asked for (a province covers its wards); null: every unit of the caller."
    )
    from_: datetime = Field(alias="from", description="Start of the period (local time), included.")
    to: datetime = Field(description="End of the period (local time), excluded.")


class ReportKpis(KpiHeader):
    """Citizen reports filed in the period, judged against each report's own deadlines."""

    section: Literal["reports"] = "reports"
    total: int
    open: int
    overdue_open: int = Field(description="Still open and past its current deadline now.")
    by_status: dict[str, int]
    by_category: dict[str, int]
    acknowledged_on_time: int
    acknowledged_late: int
    acknowledge_on_time_rate: float | None
    resolved_on_time: int
    resolved_late: int
    resolve_on_time_rate: float | None
    median_acknowledge_seconds: float | None = Field(description="From filing to acknowledgement.")
    median_resolve_seconds: float | None = Field(description="From filing to resolution.")
    ratings: dict[str, int]
    satisfaction_rate: float | None = Field(description="(very_satisfied + satisfied) / ratings.")


class DeviceTypeKpis(BaseModel):
    online: int
    offline: int
    went_offline: int


class DeviceKpis(KpiHeader):
    """Devices in service (decommissioned ones left out) now. iot keeps the moment of each device's latest
    change of state only, so `went_offline` counts the devices offline now that went offline in the
    period: one that went offline and came back since is not among them."""

    section: Literal["devices"] = "devices"
    total: int
    online: int
    offline: int = Field(description="Offline now, or never heard from.")
    went_offline: int
    by_type: dict[str, DeviceTypeKpis]


class SeverityKpis(BaseModel):
    raised: int
    acknowledged: int
    cleared: int
    median_acknowledge_seconds: float | None
    median_clear_seconds: float | None
    open_now: int


class AlarmKpis(KpiHeader):
    """Alarms raised in the period, and the alarms open (not cleared) now whenever they were raised."""

    section: Literal["alarms"] = "alarms"
    raised: int
    acknowledged: int
    cleared: int
    median_acknowledge_seconds: float | None = Field(description="From raising to acknowledgement.")
    median_clear_seconds: float | None = Field(description="From raising to clearing.")
    open_now: int
    by_severity: dict[str, SeverityKpis] = Field(description="Every severity, most urgent first.")


class DispatchKpis(KpiHeader):
    """Offers to field staff made in the period for alarms of the units."""

    section: Literal["dispatch"] = "dispatch"
    offers: int
    accepted: int
    declined: int
    expired: int
    withdrawn: int = Field(description="Closed because a colleague accepted or nobody was needed any more.")
    unanswered: int
    acceptance_rate: float | None = Field(description="accepted / offers answered by the staff themselves.")
    median_accept_seconds: float | None = Field(description="From the offer to its acceptance.")


class DossierKpis(KpiHeader, Figures):
    """Dossiers received in the period: the on-time figures of the public open data, judged now."""

    section: Literal["dossiers"] = "dossiers"


SectionKpis = Annotated[
    ReportKpis | DeviceKpis | AlarmKpis | DispatchKpis | DossierKpis, Field(discriminator="section")
]


class KpiPoint(BaseModel):
    t: datetime = Field(description="Start of the bucket, local time.")
    v: float | None = Field(description="Counts are 0 in an empty bucket; medians and rates null.")


class KpiSeries(BaseModel):
    key: str
    points: list[KpiPoint]


class KpiSeriesRead(BaseModel):
    interval: Interval
    series: list[KpiSeries]
