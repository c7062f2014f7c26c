"""The KPI answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class KpiRead(BaseModel):
    """Figures about reports in the caller's units, optionally narrowed by unit, category and filing date."""

    total: int
    open: int
    overdue_open: int = Field(description="Open reports past their current deadline now.")
    resolved_on_time: int = Field(description="Resolved no later than the resolve deadline.")
    resolved_late: int
    acknowledged_on_time: int
    acknowledged_late: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    ratings: dict[str, int]
    on_time_rate: float | None = Field(
        description="resolved_on_time / (resolved_on_time + resolved_late); null when nothing was resolved."
    )
