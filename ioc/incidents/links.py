"""Which alarms and reports link into one incident: the pairs of data/ioc/incident_links.yaml.

The file is read and checked once per process, when the centre is installed (ioc.install): a bad file
stops the process at start rather than silently linking nothing. Its category codes are checked against the
seeded catalogue by the tests (the database is not at hand when the file is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.settings import PROJECT_ROOT
from feedback.catalogue.schemas import CategoryCode
from ioc.rules.definition import ALARM_TYPE_PATTERN

LINKS_FILE = PROJECT_ROOT / "data" / "ioc" / "incident_links.yaml"

MAX_DISTANCE_M = 5000
MAX_WINDOW_MINUTES = 24 * 60

AlarmType = Annotated[str, Field(pattern=ALARM_TYPE_PATTERN)]


class Pair(BaseModel):
    """An alarm type and another alarm type or a report category, with how close they must be."""

    model_config = ConfigDict(extra="forbid")

    alarm: AlarmType
    with_alarm: AlarmType | None = None
    with_report: CategoryCode | None = None
    distance_m: int = Field(ge=1, le=MAX_DISTANCE_M)
    window_minutes: int = Field(ge=1, le=MAX_WINDOW_MINUTES)

    @model_validator(mode="after")
    def _one_partner(self) -> Self:
        if (self.with_alarm is None) == (self.with_report is None):
            raise ValueError("a pair names exactly one of with_alarm and with_report")
        return self

    def key(self) -> tuple[str, str, str]:
        if self.with_alarm is not None:
            low, high = sorted((self.alarm, self.with_alarm))
            return ("alarm", low, high)
        return ("report", self.alarm, str(self.with_report))


class LinksDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    footprint_buffer_m: float = Field(ge=1, le=1000, allow_inf_nan=False)
    pairs: list[Pair] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_pair_once(self) -> Self:
        seen: set[tuple[str, str, str]] = set()
        for pair in self.pairs:
            if pair.key() in seen:
                raise ValueError(f"the pair {pair.key()} is listed twice")
            seen.add(pair.key())
        return self


@dataclass(frozen=True, slots=True)
class Reach:
    """How close a partner must be: on the ground, and in time."""

    distance_m: float
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Partners:
    """What a new alarm or report may link with: alarm types and report categories, each with its reach."""

    alarms: dict[str, Reach] = field(default_factory=dict)
    reports: dict[str, Reach] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.alarms or self.reports)

    @property
    def max_distance_m(self) -> float:
        return max(reach.distance_m for reach in (*self.alarms.values(), *self.reports.values()))


NOBODY = Partners()


@dataclass(frozen=True, slots=True)
class LinkTable:
    footprint_buffer_m: float
    # alarm type -> its partners; report category -> the alarm types it links with.
    by_alarm_type: dict[str, Partners]
    by_category: dict[str, Partners]

    def for_alarm(self, alarm_type: str) -> Partners:
        return self.by_alarm_type.get(alarm_type, NOBODY)

    def for_report(self, category_code: str) -> Partners:
        return self.by_category.get(category_code, NOBODY)

    def category_codes(self) -> set[str]:
        return set(self.by_category)


def table_of(document: LinksDocument) -> LinkTable:
    alarms: dict[str, dict[str, Reach]] = {}
    reports: dict[str, dict[str, Reach]] = {}
    by_category: dict[str, dict[str, Reach]] = {}
    for pair in document.pairs:
        reach = Reach(distance_m=float(pair.distance_m), window_seconds=pair.window_minutes * 60)
        if pair.with_alarm is not None:
            alarms.setdefault(pair.alarm, {})[pair.with_alarm] = reach
            alarms.setdefault(pair.with_alarm, {})[pair.alarm] = reach
        elif pair.with_report is not None:
            reports.setdefault(pair.alarm, {})[pair.with_report] = reach
            by_category.setdefault(pair.with_report, {})[pair.alarm] = reach
    return LinkTable(
        footprint_buffer_m=document.footprint_buffer_m,
        by_alarm_type={
            alarm_type: Partners(alarms=alarms.get(alarm_type, {}), reports=reports.get(alarm_type, {}))
            for alarm_type in {*alarms, *reports}
        },
        by_category={code: Partners(alarms=partners) for code, partners in by_category.items()},
    )


def read_links(path: Path) -> LinkTable:
    """The table of `path`; a ValueError (pydantic's ValidationError) when the file is not valid."""
    return table_of(LinksDocument.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))


@lru_cache(maxsize=1)
def current_links() -> LinkTable:
    """The table of LINKS_FILE, read once per process."""
    return read_links(LINKS_FILE)
