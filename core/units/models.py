"""Administrative units: provinces and communes/wards, with their boundaries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from core.db import timestamp_now


class UnitLevel(StrEnum):
    PROVINCE = "province"
    WARD = "ward"


class AdminUnit(SQLModel, table=True):
    __tablename__ = "admin_units"
    __table_args__ = (
        CheckConstraint(
            "(level = 'province' AND parent_code IS NULL AND code ~ '^[0-9]{2}$') OR "
            "(level = 'ward' AND parent_code IS NOT NULL AND code ~ '^[0-9]{5}$')",
            name="code_matches_level",
        ),
        # Point-in-polygon lookups ("which ward contains this point") use this index.
        Index("ix_admin_units_boundary", "boundary", postgresql_using="gist"),
    )

    # Codes of the national statistics office: 2 digits for provinces, 5 for communes and wards.
    code: str = Field(sa_column=Column(String(5), primary_key=True))
    name: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    level: UnitLevel = Field(
        sa_column=Column(
            Enum(UnitLevel, name="unit_level", values_callable=lambda e: [m.value for m in e]),
            nullable=False,
            index=True,
        )
    )
    parent_code: str | None = Field(
        default=None,
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True),
    )
    boundary: Any = Field(
        sa_column=Column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    )
    centroid: Any = Field(sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False))
    # True when the boundary was generated for the demo and is not an official boundary.
    demo_geometry: bool = Field(default=False)
    updated_at: datetime = timestamp_now()
