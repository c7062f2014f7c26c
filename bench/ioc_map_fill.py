"""Filling the map benchmark's database in a few set-based statements (INSERT ... SELECT over
generate_series), never row by row.

Points (reports, devices, field staff) come from one recipe: a share of them crowd around a town centre
(each ward's centroid, the city's own ward drawing a larger share; an offset that is a sum of three uniforms,
roughly bell-shaped), the rest spread uniformly over the wards' extent; a point no ward contains is drawn
again, so every row has its ward, as submission and registration would give it. Statuses and times follow
what a live province looks like: most reports closed long ago, the open ones (--open-share) recent; most
devices online with a reading whose level varies; alarms active on a few thousand devices besides a history
of cleared ones; incidents grouping an alarm and the open reports around it; field staff on duty in their
wards; a few public warnings, published through the warnings service itself.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from ioc_map_sql import (
    ACTIVE_ALARMS_SQL,
    CLEARED_ALARMS_SQL,
    COUNTS_SQL,
    DEVICE_STATE_SQL,
    DEVICES_SQL,
    FIELD_STAFF_SQL,
    HEART_WARD,
    INCIDENT_COUNTS_SQL,
    INCIDENT_REPORTS_SQL,
    INCIDENTS_SQL,
    REPORTS_SQL,
    SHARE_SQL,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal, Role
from core.settings import Settings
from ioc.warnings import service as warnings_service
from ioc.warnings.schemas import AreaIn, EventTexts, Headline, Prose, WarningIn
from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, Urgency


@dataclass(frozen=True, slots=True)
class Sizes:
    reports: int
    devices: int
    alarms: int
    cleared_alarms: int
    incidents: int
    field_staff: int
    warnings: int
    open_share: float = 0.05


@dataclass(slots=True)
class Filled:
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


# How each kind of point is placed: clustered share, spread around a centre (degrees), heart's share.
REPORT_POINTS = (0.6, 0.012, 0.35)
DEVICE_POINTS = (0.6, 0.02, 0.25)
STAFF_POINTS = (0.8, 0.02, 0.25)


class Filler:
    """The statements above on one connection, each timed."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.filled = Filled()
        self._inside: float | None = None

    async def start(self) -> None:
        # The planner's estimates of these statements are far above what they cost: JIT would compile them
        # for about a second each, which is most of a small fill.
        await self.connection.execute("SET jit = off")

    async def _timed(self, name: str, sql: str, *args: Any) -> str:
        started = time.perf_counter()
        status: str = await self.connection.execute(sql, *args)
        self.filled.seconds[name] = self.filled.seconds.get(name, 0.0) + time.perf_counter() - started
        return status

    async def _draw(
        self, name: str, sql: str, count: int, placing: tuple[float, float, float], *extra: Any
    ) -> int:
        """Insert `count` rows placed by POINTS, drawing again for the points that fell outside every ward;
        returns the last number drawn."""
        if self._inside is None:
            self._inside = float(await self.connection.fetchval(SHARE_SQL) or 1.0)
        clustered, spread, heart = placing
        # Nearly every clustered point lands in a ward, the uniform ones in proportion to the wards' area.
        accepted = max(0.05, clustered * 0.95 + (1 - clustered) * self._inside)
        first, left = 1, count
        while left > 0:
            last = first + math.ceil(left / accepted * 1.1) + 16
            status = await self._timed(
                name, sql, first, last, left, clustered, spread, HEART_WARD, heart, *extra
            )
            left -= int(status.split()[-1])
            first = last + 1
        return first - 1

    async def reports(self, sizes: Sizes) -> None:
        drawn = await self._draw("reports", REPORTS_SQL, sizes.reports, REPORT_POINTS, sizes.open_share)
        # Reports filed from now on get numbers after the generated ones.
        await self.connection.execute("SELECT setval('feedback_report_number_seq', $1)", drawn + 1)

    async def devices(self, sizes: Sizes) -> None:
        await self._draw("devices", DEVICES_SQL, sizes.devices, DEVICE_POINTS, 0.03)
        await self._timed("devices", DEVICE_STATE_SQL)

    async def alarms(self, sizes: Sizes) -> None:
        await self._timed("alarms", ACTIVE_ALARMS_SQL, sizes.alarms)
        await self._timed("alarms", CLEARED_ALARMS_SQL, sizes.cleared_alarms)

    async def incidents(self, sizes: Sizes) -> None:
        await self._timed("incidents", INCIDENTS_SQL, sizes.incidents)
        await self._timed("incidents", INCIDENT_REPORTS_SQL)
        await self._timed("incidents", INCIDENT_COUNTS_SQL)

    async def field_staff(self, sizes: Sizes) -> None:
        await self._draw("field staff", FIELD_STAFF_SQL, sizes.field_staff, STAFF_POINTS, 0.75)

    async def analyse(self) -> None:
        # Vacuumed as well: the visibility map lets the map's index-only scans skip the heap, as on a table
        # that has lived a while.
        await self._timed(
            "vacuum analyse",
            "VACUUM ANALYZE feedback_reports, devices, device_state, alarms, incidents, incident_members, "
            "field_staff_status, users, warnings",
        )

    async def count(self) -> dict[str, int]:
        row = await self.connection.fetchrow(COUNTS_SQL)
        self.filled.counts = {key: int(value) for key, value in dict(row).items()}
        return self.filled.counts


async def publish_warnings(
    session: AsyncSession, settings: Settings, admin: uuid.UUID, wards: list[str], count: int
) -> None:
    """`count` current public warnings over one ward each, through the service officers' requests use."""
    author = Principal(user_id=admin, role=Role.ADMIN)
    now = datetime.now(UTC).replace(microsecond=0)
    for k in range(count):
        body = WarningIn(
            category=Category.MET,
            event=EventTexts(vi="Ngập úng", en="Street flooding"),
            urgency=Urgency.IMMEDIATE,
            severity=(CapSeverity.SEVERE, CapSeverity.MODERATE, CapSeverity.MINOR)[k % 3],
            certainty=Certainty.OBSERVED,
            headline=Headline(vi=f"Ngập sâu tại khu vực {k + 1}", en=f"Deep flooding in area {k + 1}"),
            description=Prose(vi="Nước ngập sâu trên nhiều tuyến phố.", en="Deep water on several streets."),
            instruction=Prose(vi="Hạn chế đi qua khu vực ngập.", en="Avoid the flooded streets."),
            onset=now - timedelta(hours=1),
            expires=now + timedelta(days=1),
            area=AreaIn(ward_codes=[wards[k % len(wards)]]),
        )
        await warnings_service.publish(session, author, body, sender=settings.ioc_warnings_sender, now=now)


def describe(filled: Filled, sizes: Sizes) -> str:
    c, s = filled.counts, filled.seconds
    total = sum(seconds for name, seconds in s.items() if name != "vacuum analyse")
    rate = c["reports"] / max(s.get("reports", 0.0), 1e-9)
    return (
        f"filled in {total:.1f} s: {c['reports']:,} reports in {s.get('reports', 0.0):.1f} s "
        f"({rate:,.0f} rows/s; {c['open_reports'] / max(c['reports'], 1):.1%} open, "
        f"{c['reports_without_ward']} outside a ward), "
        f"{c['devices']:,} devices and their state in {s.get('devices', 0.0):.1f} s "
        f"({c['online']:,} online), "
        f"{c['active_alarms']:,} active alarms and {c['cleared_alarms']:,} cleared in "
        f"{s.get('alarms', 0.0):.1f} s, {c['incidents']:,} incidents, "
        f"{c['on_duty']:,} of {sizes.field_staff:,} field staff on duty, {c['warnings']} warnings; "
        f"vacuumed and analysed in {s.get('vacuum analyse', 0.0):.1f} s"
    )
