"""Benchmark of `core.units.repository.locate`: which ward and province contain a point.

Creates a dedicated database (dropped at the end unless --keep), migrates it, imports the demo province, then
on one connection times locate() at random points of the province's bounding box against the bare `SELECT 1`
round trip on the same connection, in alternating rounds so that a noisy machine affects both alike. A second
pass adds a national-size table (34 provinces, about 3,300 wards made of shifted copies of the demo wards, so
with the same vertex counts) and times the same points again, plus points spread over the whole table.

Run: .venv/bin/python bench/units_locate.py [--queries 5000] [--rounds 5] [--provinces 34] [--small-only]
     [--database smartcity_bench_units] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import shapely
from shapely import affinity
from shapely.geometry import box, mapping, shape
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import create_engine, create_sessionmaker
from core.settings import Settings, get_settings
from core.units import repository
from core.units.importer import import_units, read_document
from migrations.runner import upgrade

Point = tuple[float, float]

# Layout of the national-size table: 34 provinces (as many as Vietnam has), each a block of 4 x 3 copies of
# the eight demo wards.
PROVINCES, COLUMNS, ROWS, TILE = 34, 4, 3, 0.2


@dataclass(frozen=True, slots=True)
class Timings:
    name: str
    samples_us: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples_us)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def bench_settings(database: str) -> Settings:
    base = get_settings()
    url = urlsplit(base.database_dsn)._replace(path=f"/{database}")
    return base.model_copy(update={"database_url": type(base.database_url)(urlunsplit(url))})


async def recreate(settings: Settings, *, drop_only: bool = False) -> None:
    url = urlsplit(settings.database_dsn)
    admin = urlunsplit(url._replace(path="/postgres")).replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(admin)
    try:
        name = url.path.lstrip("/")
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def national_table(demo: dict[str, Any], provinces: int) -> dict[str, Any]:
    """Synthetic provinces far from the demo, each holding shifted copies of the demo wards."""
    wards = [f for f in demo["features"] if f["properties"]["level"] == "ward"]
    province = next(f for f in demo["features"] if f["properties"]["level"] == "province")
    min_lon, min_lat, _, _ = shape(province["geometry"]).bounds
    features: list[dict[str, Any]] = []
    for p in range(provinces):
        x0, y0 = float(p % 6), float(p // 6)
        code = str(40 + p)
        features.append(feature(code, "province", None, box(x0, y0, x0 + COLUMNS * TILE, y0 + ROWS * TILE)))
        for tile in range(COLUMNS * ROWS):
            dx = x0 + TILE * (tile % COLUMNS) + 0.01 - min_lon
            dy = y0 + TILE * (tile // COLUMNS) + 0.01 - min_lat
            for w, ward in enumerate(wards):
                moved = affinity.translate(shape(ward["geometry"]), dx, dy)
                features.append(feature(f"{20000 + p * 100 + tile * 8 + w}", "ward", code, moved))
    return {"type": "FeatureCollection", "features": features}


def feature(code: str, level: str, parent: str | None, geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": f"Mẫu {code}",
            "name_en": f"Sample {code}",
            "level": level,
            "parent_code": parent,
            "demo_geometry": True,
        },
        "geometry": mapping(geometry),
    }


def random_points(rng: random.Random, bounds: tuple[float, float, float, float], count: int) -> list[Point]:
    min_lon, min_lat, max_lon, max_lat = bounds
    return [(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)) for _ in range(count)]


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter_ns()
    await call()
    return (time.perf_counter_ns() - started) / 1000


async def measure(session: AsyncSession, points: list[Point], rounds: int) -> tuple[Timings, Timings, float]:
    """Locate and SELECT 1 in alternating rounds on the session's one connection; also the share of hits."""
    select_one = text("SELECT 1")
    for lon, lat in points[:200]:  # warm up: prepared statements, caches
        await repository.locate(session, lon, lat)
        await session.execute(select_one)
    located: list[float] = []
    baseline: list[float] = []
    hits = 0
    size = len(points) // rounds
    for start in range(0, size * rounds, size):
        for lon, lat in points[start : start + size]:
            result: list[Any] = []

            async def find(lon: float = lon, lat: float = lat, into: list[Any] = result) -> None:
                into.append(await repository.locate(session, lon, lat))

            located.append(await timed(find))
            hits += result[0] is not None and result[0].ward is not None
        for _ in range(size):
            baseline.append(await timed(lambda: session.execute(select_one)))
    return Timings("locate", located), Timings("SELECT 1", baseline), hits / len(located)


def report(title: str, located: Timings, baseline: Timings, hit_share: float) -> None:
    print(f"\n{title}")
    print(f"  {'query':<10} {'n':>6} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9}")
    for timings in (located, baseline):
        print(
            f"  {timings.name:<10} {len(timings.samples_us):>6} {timings.p50:>9.0f} {timings.p99:>9.0f} "
            f"{statistics.fmean(timings.samples_us):>9.0f}"
        )
    print(
        f"  ratio locate/SELECT 1: p50 {located.p50 / baseline.p50:.2f}x, "
        f"p99 {located.p99 / baseline.p99:.2f}x; points inside a ward: {hit_share:.0%}"
    )


async def run(settings: Settings, queries: int, rounds: int, provinces: int, large: bool) -> None:
    demo = read_document(settings.demo_units_file)
    province = next(f for f in demo["features"] if f["properties"]["level"] == "province")
    rng = random.Random(20250701)
    demo_points = random_points(rng, shape(province["geometry"]).bounds, queries)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await import_units(session, demo)
            await session.commit()
            await session.execute(text("ANALYZE admin_units"))
            report("Demo province only (9 units)", *await measure(session, demo_points, rounds))
            if not large:
                return
            synthetic = national_table(demo, provinces)
            started = time.perf_counter()
            count = await import_units(session, synthetic)
            await session.commit()
            print(f"\nimported {count} synthetic units in {time.perf_counter() - started:.1f} s")
            await session.execute(text("ANALYZE admin_units"))
            wards = await session.scalar(text("SELECT count(*) FROM admin_units WHERE level = 'ward'"))
            vertices = await session.scalar(text("SELECT sum(ST_NPoints(boundary)) FROM admin_units"))
            title = f"National-size table ({wards} wards, {vertices} vertices), points in the demo province"
            report(title, *await measure(session, demo_points, rounds))
            everywhere = shapely.unary_union(
                [
                    shape(f["geometry"])
                    for f in synthetic["features"]
                    if f["properties"]["level"] == "province"
                ]
            ).bounds
            report(
                "National-size table, points anywhere in the synthetic provinces",
                *await measure(session, random_points(rng, everywhere, queries), rounds),
            )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=5000, help="locate calls per pass (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per pass (default 5)")
    parser.add_argument("--database", default="smartcity_bench_units", help="database to (re)create")
    parser.add_argument(
        "--provinces", type=int, default=PROVINCES, help=f"synthetic provinces (default {PROVINCES})"
    )
    parser.add_argument("--small-only", action="store_true", help="skip the national-size table")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    if args.provinces < 1:
        parser.error("--provinces must be at least 1")

    settings = bench_settings(args.database)
    asyncio.run(recreate(settings))
    try:
        upgrade(settings.database_dsn)
        asyncio.run(run(settings, args.queries, args.rounds, args.provinces, large=not args.small_only))
    finally:
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


if __name__ == "__main__":
    main()
