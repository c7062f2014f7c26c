"""What the map adds to the schema: unit boundaries simplified per zoom band, and Web Mercator indexes.

Tiles are cut in Web Mercator (SRID 3857). The tables keep SRID 4326; GIST indexes on
`ST_Transform(location, 3857)` let a tile's `&& ST_TileEnvelope(z, x, y)` filter run on an index before
anything else. A query must spell the expression exactly so (`ST_Transform(location, 3857)`) to use them.

`map_unit_shapes` holds each unit's boundary in 3857 once per zoom band, simplified to half a pixel at the
band's highest zoom, so the units layer never simplifies at request time. A trigger on admin_units
(migration 0014) rewrites a unit's rows whenever its boundary is inserted or updated, whoever writes it (the
importer, the seed), so the shapes never lag the boundaries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from feedback.reports.models import Report
from feedback.reports.status import OPEN_STATUSES
from ioc.alarms.models import Alarm
from ioc.dispatch.models import FieldStatus
from iot.registry.models import Device

# (band, highest zoom of the band, simplification tolerance in metres = half a 256 px pixel at that zoom).
# Migration 0014 copies these numbers into its trigger; change both together.
UNIT_BANDS: tuple[tuple[int, int, float], ...] = ((0, 6, 1223.0), (1, 9, 152.9), (2, 12, 19.1), (3, 22, 4.8))


def unit_band(z: int) -> int:
    """The band whose shapes a tile at zoom `z` draws."""
    return next(band for band, top, _ in UNIT_BANDS if z <= top)


class UnitShape(SQLModel, table=True):
    __tablename__ = "map_unit_shapes"
    __table_args__ = (Index("ix_map_unit_shapes_geom", "geom", postgresql_using="gist"),)

    code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="CASCADE"), primary_key=True)
    )
    band: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    geom: Any = Field(
        sa_column=Column(Geometry("MULTIPOLYGON", srid=3857, spatial_index=False), nullable=False)
    )


# Open reports as a literal list, so that a query carrying the same list is known to match the partial index.
OPEN_REPORTS_SQL = "status IN ({})".format(", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES)))


# Open reports counted per square of world / 2^17 (about 306 m), per responsible unit and public flag: the
# cells the reports layer clusters on at zoom 14 (a tile has 8 × 8 clusters, so 2^(14 + 3) a side), and
# 4, 16, 64... of them make a cluster at lower zooms. Statement triggers of migration 0014 keep the counts,
# with the sums of the points' Web Mercator coordinates for the clusters' centres, as reports are written.
REPORT_CELL_LEVEL = 17


class ReportCell(SQLModel, table=True):
    __tablename__ = "map_report_cells"

    i: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    j: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    unit_code: str = Field(sa_column=Column(String(5), primary_key=True))
    is_public: bool = Field(sa_column=Column(Boolean, primary_key=True))
    n: int = Field(sa_column=Column(Integer, nullable=False))
    sx: float = Field(sa_column=Column(Float, nullable=False))
    sy: float = Field(sa_column=Column(Float, nullable=False))


# The squares map_report_days counts in: world / 2^15 (about 1.2 km: a hotspot cell at zoom 12, and 4, 16...
# of them below) and world / 2^17 (about 306 m: a hotspot cell at zoom 14, 4 of them at 13). Migration 0014
# writes the same numbers into its trigger; change both together.
REPORT_DAY_LEVELS = (15, 17)


class ReportDay(SQLModel, table=True):
    """Unmerged reports counted per UTC day of filing, square (at each of REPORT_DAY_LEVELS) and unit: what
    the hotspots layer sums over a period up to zoom 14, so that a province's tile adds up a few thousand
    counts instead of reading the period's reports one by one (at the fine level alone a day holds about as
    many squares as reports, hence the coarse one for low zooms). Statement triggers of migration 0014 keep
    it, as they keep map_report_cells."""

    __tablename__ = "map_report_days"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    i: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    j: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    unit_code: str = Field(sa_column=Column(String(5), primary_key=True))
    n: int = Field(sa_column=Column(Integer, nullable=False))


def _mercator(table: Any, column: str) -> Any:
    frame: Table = table.__table__
    return func.ST_Transform(frame.c[column], 3857)


# Open reports: the reports layer's default (and the public view's, with its own filters on top).
REPORTS_OPEN_GEOM = Index(
    "ix_map_reports_open_geom",
    _mercator(Report, "location"),
    postgresql_using="gist",
    postgresql_where=text(OPEN_REPORTS_SQL),
)
# Every report: status filters that ask for closed ones, and the hotspots over a period.
REPORTS_GEOM = Index("ix_map_reports_geom", _mercator(Report, "location"), postgresql_using="gist")
# Hotspots: the reports of a period, however many the box holds, read from the index alone (it carries
# what a hotspot filters and places by).
REPORTS_CREATED = Index(
    "ix_map_reports_created",
    Report.__table__.c.created_at,  # type: ignore[attr-defined]
    postgresql_where=text("merged_into_id IS NULL"),
    postgresql_include=["location", "unit_code", "category_code"],
)
DEVICES_GEOM = Index("ix_map_devices_geom", _mercator(Device, "location"), postgresql_using="gist")
ALARMS_GEOM = Index(
    "ix_map_alarms_active_geom",
    _mercator(Alarm, "location"),
    postgresql_using="gist",
    postgresql_where=text("cleared_at IS NULL"),
)
FIELD_STAFF_GEOM = Index(
    "ix_map_field_staff_geom", _mercator(FieldStatus, "position"), postgresql_using="gist"
)
