"""All SQL of public warnings: the wards and province of an area, the chain's head and its messages, the
public list and the feed's date."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBox
from core.cursor import Cursor
from core.units.models import AdminUnit
from ioc.alarms.models import Alarm
from ioc.warnings.models import PublicWarning, WarningMessage

heads: Table = PublicWarning.metadata.tables["warnings"]
messages: Table = WarningMessage.metadata.tables["warning_messages"]
alarms: Table = Alarm.metadata.tables["alarms"]
units: Table = AdminUnit.metadata.tables["admin_units"]

# About 10 m: real ward boundaries carry survey detail no warning needs, and every vertex is in each message.
CAP_SIMPLIFY_DEGREES = 0.0001
GEOJSON_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Ward:
    code: str
    name: str
    name_en: str
    province_code: str
    lat: float
    lon: float
    # The boundary's polygons as GeoJSON coordinates ([lon, lat] rings), read only for the chosen wards.
    polygons: list[list[list[list[float]]]]


_WARDS = text("""
SELECT u.code, u.name, u.name_en, u.parent_code, ST_Y(u.centroid) AS lat, ST_X(u.centroid) AS lon,
       CASE WHEN :with_boundaries
            THEN ST_AsGeoJSON(ST_SimplifyPreserveTopology(u.boundary, :tolerance), :decimals) END AS boundary
FROM admin_units AS u
WHERE u.level = 'ward' AND u.code = ANY(CAST(:codes AS varchar[]))
ORDER BY array_position(CAST(:codes AS varchar[]), u.code::varchar)
""")

# Wards whose inside the polygon reaches: one sharing only an edge or a corner with it is not concerned.
_WARDS_UNDER = text("""
SELECT u.code
FROM admin_units AS u
WHERE u.level = 'ward'
  AND ST_Intersects(u.boundary, ST_GeomFromText(:polygon, 4326))
  AND NOT ST_Touches(u.boundary, ST_GeomFromText(:polygon, 4326))
ORDER BY u.code
""")

_PROVINCE_COVERING = text("""
SELECT u.code FROM admin_units AS u
WHERE u.level = 'province' AND ST_Covers(u.boundary, ST_GeomFromText(:polygon, 4326))
ORDER BY u.code
LIMIT 1
""")


def _ward(row: Any) -> Ward:
    polygons: list[list[list[list[float]]]] = []
    if row.boundary is not None:
        shape = json.loads(row.boundary)
        polygons = [shape["coordinates"]] if shape["type"] == "Polygon" else shape["coordinates"]
    return Ward(
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        province_code=row.parent_code,
        lat=row.lat,
        lon=row.lon,
        polygons=polygons,
    )


async def wards(session: AsyncSession, codes: Sequence[str], *, with_boundaries: bool) -> list[Ward]:
    """The wards among `codes`, in their order (codes of no ward are left out)."""
    if not codes:
        return []
    rows = await session.execute(
        _WARDS,
        {
            "codes": list(codes),
            "with_boundaries": with_boundaries,
            "tolerance": CAP_SIMPLIFY_DEGREES,
            "decimals": GEOJSON_DECIMALS,
        },
    )
    return [_ward(row) for row in rows]


async def wards_under(session: AsyncSession, polygon_wkt: str) -> list[str]:
    return list((await session.execute(_WARDS_UNDER, {"polygon": polygon_wkt})).scalars())


async def province_covering(session: AsyncSession, polygon_wkt: str) -> str | None:
    code: str | None = await session.scalar(_PROVINCE_COVERING, {"polygon": polygon_wkt})
    return code


async def alarm_unit(session: AsyncSession, alarm_id: uuid.UUID) -> str | None:
    """The unit of an alarm, None when there is no such alarm."""
    unit: str | None = await session.scalar(select(alarms.c.unit_code).where(alarms.c.id == alarm_id))
    return unit


async def next_number(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.nextval("warning_number_seq"))) or 0)


# -- The chain ----------------------------------------------------------------------------------------------


def _area(chosen: Sequence[str], polygon_wkt: str | None) -> Any:
    """The chosen wards' boundaries and the polygon as one MultiPolygon, computed by PostGIS."""
    parts: list[Any] = []
    if chosen:
        parts.append(
            select(func.ST_Union(units.c.boundary)).where(units.c.code.in_(list(chosen))).scalar_subquery()
        )
    if polygon_wkt is not None:
        parts.append(func.ST_GeomFromText(polygon_wkt, 4326))
    shape = parts[0] if len(parts) == 1 else func.ST_Union(parts[0], parts[1])
    return func.ST_Multi(func.ST_CollectionExtract(shape, 3))


async def insert_head(
    session: AsyncSession,
    *,
    province_code: str,
    ward_codes: Sequence[str],
    chosen: Sequence[str],
    polygon_wkt: str | None,
    sent: datetime,
    expires: datetime,
    created_by: uuid.UUID,
) -> uuid.UUID:
    statement = (
        insert(heads)
        .values(
            message_count=1,
            province_code=province_code,
            ward_codes=list(ward_codes),
            area=_area(chosen, polygon_wkt),
            sent=sent,
            expires=expires,
            created_by=created_by,
        )
        .returning(heads.c.id)
    )
    warning_id: uuid.UUID = (await session.execute(statement)).scalar_one()
    return warning_id


@dataclass(frozen=True, slots=True)
class Head:
    id: uuid.UUID
    message_count: int
    cancelled_at: datetime | None


async def lock_head(session: AsyncSession, warning_id: uuid.UUID) -> Head | None:
    """The chain's head, locked until the transaction ends: two updates of one warning chain one after the
    other rather than both following the same message."""
    row = (
        await session.execute(
            select(heads.c.id, heads.c.message_count, heads.c.cancelled_at)
            .where(heads.c.id == warning_id)
            .with_for_update()
        )
    ).first()
    return Head(row.id, row.message_count, row.cancelled_at) if row is not None else None


async def advance_head(
    session: AsyncSession,
    warning_id: uuid.UUID,
    *,
    message_count: int,
    ward_codes: Sequence[str],
    chosen: Sequence[str],
    polygon_wkt: str | None,
    sent: datetime,
    expires: datetime,
    cancelled: bool,
) -> None:
    values: dict[str, Any] = {
        "message_count": message_count,
        "ward_codes": list(ward_codes),
        "area": _area(chosen, polygon_wkt),
        "sent": sent,
        "expires": expires,
        "updated_at": func.now(),
    }
    if cancelled:
        values["cancelled_at"] = sent
    await session.execute(update(heads).where(heads.c.id == warning_id).values(**values))


async def insert_message(session: AsyncSession, values: dict[str, Any], polygon_wkt: str | None) -> None:
    polygon = func.ST_GeomFromText(polygon_wkt, 4326) if polygon_wkt is not None else None
    await session.execute(insert(messages).values(**values, polygon=polygon))


def _current_columns() -> list[Any]:
    return [
        *(column for column in messages.c if column.name not in ("polygon", "id", "created_at", "cap_xml")),
        heads.c.cancelled_at,
        heads.c.province_code,
        func.ST_AsGeoJSON(messages.c.polygon, GEOJSON_DECIMALS).label("polygon_geojson"),
    ]


def _current_join() -> Any:
    return heads.join(
        messages, and_(messages.c.warning_id == heads.c.id, messages.c.seq == heads.c.message_count)
    )


async def current_message(session: AsyncSession, warning_id: uuid.UUID) -> Any | None:
    """The chain's newest message with the head's cancellation, or None for an unknown warning."""
    statement = select(*_current_columns()).select_from(_current_join()).where(heads.c.id == warning_id)
    return (await session.execute(statement)).first()


async def chain(session: AsyncSession, warning_id: uuid.UUID) -> list[Any]:
    """Every message of a warning, oldest first (identifier, sender, sent, msg_type)."""
    statement = (
        select(messages.c.identifier, messages.c.sender, messages.c.sent, messages.c.msg_type)
        .where(messages.c.warning_id == warning_id)
        .order_by(messages.c.seq)
    )
    return list((await session.execute(statement)).all())


async def current_cap(session: AsyncSession, warning_id: uuid.UUID) -> Any | None:
    """The current message's CAP document and sent time."""
    statement = (
        select(messages.c.cap_xml, messages.c.sent)
        .select_from(_current_join())
        .where(heads.c.id == warning_id)
    )
    return (await session.execute(statement)).first()


# -- Public reads -------------------------------------------------------------------------------------------


async def list_current(
    session: AsyncSession,
    *,
    now: datetime,
    ward_code: str | None,
    bbox: BBox | None,
    cursor: Cursor | None,
    fetch: int,
) -> list[Any]:
    """Warnings neither cancelled nor expired at `now`, newest message first (sent, id descending)."""
    statement = (
        select(*_current_columns())
        .select_from(_current_join())
        .where(heads.c.cancelled_at.is_(None), heads.c.expires > now)
        .order_by(heads.c.sent.desc(), heads.c.id.desc())
        .limit(fetch)
    )
    if ward_code is not None:
        statement = statement.where(heads.c.ward_codes.contains([ward_code]))
    if bbox is not None:
        envelope = func.ST_MakeEnvelope(bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat, 4326)
        statement = statement.where(func.ST_Intersects(heads.c.area, envelope))
    if cursor is not None:
        statement = statement.where(
            or_(heads.c.sent < cursor.at, and_(heads.c.sent == cursor.at, heads.c.id < cursor.id))
        )
    return list((await session.execute(statement)).all())


async def last_change(session: AsyncSession, now: datetime) -> datetime | None:
    """When the set of current warnings last changed: the newest message sent (cancellations included) or
    the latest expiry already passed, whichever is later."""
    statement = select(
        func.greatest(func.max(heads.c.sent), func.max(heads.c.expires).filter(heads.c.expires <= now))
    )
    moment: datetime | None = await session.scalar(statement)
    return moment
