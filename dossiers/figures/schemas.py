"""What the figure routes answer. No figure names or reaches a person: counts and rates only."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dossiers.figures.repository.counts import FigureCounts

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class FiguresGroup(StrEnum):
    NONE = "none"
    MONTH = "month"


class Satisfaction(BaseModel):
    ratings: int = Field(description="Dossiers rated by their applicant.")
    very_satisfied: int
    satisfied: int
    not_satisfied: int
    rate: float | None = Field(
        description="(very_satisfied + satisfied) / ratings, rounded to 4 places; null without ratings."
    )


class Figures(BaseModel):
    """On-time figures of the dossiers received in a period. A dossier is judged against its due date
    before any apology, by local date: finished before that date is early, on it on time, after it late;
    a dossier with an apology, or with a second request for more documents, counts as late (or, open,
    overdue) whatever the dates."""

    received: int = Field(description="Every dossier received in the period, withdrawn ones included.")
    withdrawn: int = Field(
        description="Withdrawn by the applicant: counted as received but not handled, so in no other figure."
    )
    handled: int = Field(description="received - withdrawn.")
    finished_early: int
    finished_on_time: int
    finished_late: int
    open_within_deadline: int = Field(description="Still open and not past the due date (due soon included).")
    open_overdue: int
    on_time_rate: float | None = Field(
        description="(finished_early + finished_on_time + open_within_deadline) / handled, rounded to 4 "
        "places; null when nothing was handled."
    )
    satisfaction: Satisfaction


class MonthFigures(Figures):
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-04"], description="Month of receipt.")


class FiguresRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    unit_code: str | None = Field(description="The unit asked for (a province covers its wards).")
    agency_code: str | None = Field(description="The agency asked for.")
    from_: date = Field(alias="from", description="First local day of receipt counted.")
    to: date = Field(description="Last local day of receipt counted.")
    group: FiguresGroup
    totals: Figures
    months: list[MonthFigures] = Field(
        description="With group=month, the months that received dossiers, oldest first; empty otherwise."
    )


class UnitMonthFigures(Figures):
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-04"])
    unit_code: str
    unit_name: str
    unit_name_en: str


class OpenFiguresRead(BaseModel):
    """Open data: each unit's figures for one month of receipt (units that received no dossier are left
    out). Public, and free of personal data."""

    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-04"])
    units: list[UnitMonthFigures]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures_of(counts: FigureCounts) -> Figures:
    handled = counts.received - counts.withdrawn
    ratings = counts.very_satisfied + counts.satisfied + counts.not_satisfied
    return Figures(
        received=counts.received,
        withdrawn=counts.withdrawn,
        handled=handled,
        finished_early=counts.early,
        finished_on_time=counts.on_time,
        finished_late=counts.late,
        open_within_deadline=counts.open_within_deadline,
        open_overdue=counts.open_overdue,
        on_time_rate=_rate(counts.early + counts.on_time + counts.open_within_deadline, handled),
        satisfaction=Satisfaction(
            ratings=ratings,
            very_satisfied=counts.very_satisfied,
            satisfied=counts.satisfied,
            not_satisfied=counts.not_satisfied,
            rate=_rate(counts.very_satisfied + counts.satisfied, ratings),
        ),
    )
