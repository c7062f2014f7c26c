"""Helpers for the report tests: places in the demo province, and reports written straight into the database.

`insert_report` bypasses submission on purpose, so that tests of reading, the lifecycle and Open311 do not
depend on the submit path, and can place a report in any status, time or place.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.models import Report
from feedback.reports.status import ReportStatus
from tests.support.people import Person

PROVINCE = "37"
WARD = "13666"  # Nam Định
OTHER_WARD = "13684"  # Thiên Trường
# A point inside ward 13666 and one inside 13684 of the demo province, and one far outside the province.
IN_WARD = (20.4300, 106.1750)  # (lat, lon)
IN_OTHER_WARD = (20.4480, 106.1620)
OUTSIDE = (21.0285, 105.8542)  # Hà Nội


async def insert_report(
    session: AsyncSession,
    *,
    reporter: Person | None = None,
    category_code: str = "road_damage",
    lat_lon: tuple[float, float] = IN_WARD,
    ward_code: str | None = WARD,
    unit_code: str = WARD,
    department_code: str | None = None,
    status: ReportStatus = ReportStatus.SUBMITTED,
    created_at: datetime | None = None,
    **fields: Any,
) -> Report:
    """A report row as submission would leave it (without photos, timeline or event)."""
    created = created_at or datetime.now(UTC)
    number = int(await session.scalar(text("SELECT nextval('feedback_report_number_seq')")) or 0)
    if department_code is None:
        department_code = str(
            await session.scalar(
                text("SELECT default_department_code FROM feedback_categories WHERE code = :code"),
                {"code": category_code},
            )
        )
    report = Report(
        id=uuid.uuid4(),
        code=f"PA-{created.year}-{number:06d}",
        category_code=category_code,
        description=fields.pop("description", "Ổ gà lớn giữa đường"),
        location=from_shape(Point(lat_lon[1], lat_lon[0]), srid=4326),
        province_code=PROVINCE,
        ward_code=ward_code,
        unit_code=unit_code,
        department_code=department_code,
        reporter_id=reporter.id if reporter is not None else None,
        status=status,
        created_at=created,
        updated_at=created,
        acknowledge_due_at=fields.pop("acknowledge_due_at", created + timedelta(hours=8)),
        resolve_due_at=fields.pop("resolve_due_at", created + timedelta(days=5)),
        **fields,
    )
    session.add(report)
    await session.flush()
    return report


# Past year 9999 or before year 1 once in UTC, and just outside the accepted years.
EXTREME_MOMENTS = [
    "9999-12-31T23:00:00-12:00",
    "0001-01-01T00:30:00+14:00",
    "1999-12-31T23:00:00+00:00",
    "3000-01-01T00:00:00+00:00",
]
