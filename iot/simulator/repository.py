"""The simulator's SQL: points inside the demo wards, and the simulated devices (found by their metadata,
so a later run reuses them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from iot.types import DeviceStatus, DeviceType

# metadata->>'simulator' names the mode that created the device: `devices` or `gateway`.
MODE_KEY = "simulator"


@dataclass(frozen=True, slots=True)
class Spot:
    lon: float
    lat: float
    ward_code: str
    province_code: str


_SPOTS = text("""
    WITH wards AS (
        SELECT code, parent_code, boundary, row_number() OVER (ORDER BY code) - 1 AS i, count(*) OVER () AS n
        FROM admin_units WHERE level = 'ward'
    ), shares AS (
        SELECT *, (:total / n + CASE WHEN i < :total % n THEN 1 ELSE 0 END)::int AS k FROM wards
    )
    SELECT w.code, w.parent_code, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
    FROM shares w, LATERAL (SELECT (ST_Dump(ST_GeneratePoints(w.boundary, w.k, :seed))).geom) AS p
    WHERE w.k > 0
    ORDER BY w.i, ST_X(p.geom), ST_Y(p.geom)
""")


async def spots(session: AsyncSession, total: int, seed: int) -> list[Spot]:
    """`total` points spread evenly over the wards, each inside its ward's boundary (seeded, repeatable).
    Interleaved by ward, so the first devices of every type land in different wards."""
    rows = (await session.execute(_SPOTS, {"total": total, "seed": seed})).all()
    by_ward: dict[str, list[Spot]] = {}
    for row in rows:
        by_ward.setdefault(row.code, []).append(Spot(row.lon, row.lat, row.code, row.parent_code))
    lists = list(by_ward.values())
    out: list[Spot] = []
    for i in range(max((len(each) for each in lists), default=0)):
        out += [each[i] for each in lists if i < len(each)]
    return out[:total]


async def simulated(session: AsyncSession, mode: str) -> dict[tuple[str, int], uuid.UUID]:
    """The active simulated devices of a mode, by (type, index)."""
    rows = (
        await session.execute(
            text(
                "SELECT id, type, (metadata->>'sim_index')::int AS idx FROM devices "
                "WHERE metadata->>:key = :mode AND status <> :gone"
            ),
            {"key": MODE_KEY, "mode": mode, "gone": DeviceStatus.DECOMMISSIONED.value},
        )
    ).all()
    return {(row.type, row.idx): row.id for row in rows}


async def insert_many(
    session: AsyncSession, kind: DeviceType, first_index: int, places: list[Spot], mode: str
) -> list[uuid.UUID]:
    """Register devices in one statement (a bench needs thousands; the registry's one-at-a-time path and
    its broker credentials are for real devices)."""
    if not places:
        return []
    ids = [uuid.uuid4() for _ in places]
    indexes = list(range(first_index, first_index + len(places)))
    await session.execute(
        text("""
        INSERT INTO devices (id, type, name, location, ward_code, province_code, metadata, status,
                             created_at, updated_at)
        SELECT t.id, :type, CAST(:prefix AS text) || t.idx, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326),
               t.ward, t.province,
               jsonb_build_object(CAST(:key AS text), CAST(:mode AS text), 'sim_index', t.idx),
               'active', now(), now()
        FROM unnest(CAST(:ids AS uuid[]), CAST(:idx AS int[]), CAST(:lons AS float8[]),
                    CAST(:lats AS float8[]), CAST(:wards AS varchar[]), CAST(:provinces AS varchar[]))
             AS t(id, idx, lon, lat, ward, province)
    """),
        {
            "type": kind.value,
            "prefix": f"Mô phỏng {kind.value} #",
            "key": MODE_KEY,
            "mode": mode,
            "ids": ids,
            "idx": indexes,
            "lons": [p.lon for p in places],
            "lats": [p.lat for p in places],
            "wards": [p.ward_code for p in places],
            "provinces": [p.province_code for p in places],
        },
    )
    return ids


def metadata(mode: str, index: int) -> dict[str, object]:
    return {MODE_KEY: mode, "sim_index": index}
