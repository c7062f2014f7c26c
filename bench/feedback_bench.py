"""Benchmark of citizen reports: the public map query, the duplicate search and submissions per second.

Creates its own database (dropped at the end unless --keep), migrates it, imports the demo province and seeds
the report catalogue, then in the same run:
  (a) the bare `SELECT 1` round trip, the baseline of every query figure;
  (b) the public map query (feedback.listing.repository.public_map) for a city-sized box (the eight demo
      wards, about 0.15°, jittered), also with the open statuses only and for small boxes, on the empty table
      and after filling it with --reports rows;
  (c) the duplicate search (feedback.submission.duplicates.find_nearby_open), on the empty table and on the
      full one;
  (d) submissions without photos through the real HTTP API (`smartcity serve` in a subprocess on a free
      port), from citizens with tokens, with a fixed number of requests in flight.
Query timings are taken in Python around the function, on one connection, in rounds alternating with
`SELECT 1` so that a noisy machine affects both alike.

Run (bench/citizen_reports.py launches this module):
    .venv/bin/python bench/citizen_reports.py [--reports 1000000] [--runs 500] [--seconds 20] [--keep]
                                              [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import yaml
from feedback_fill import FILL_SQL, MOVE_SEQUENCE_SQL
from feedback_load import LoadResult, citizens, free_port, start_server, submit_load, wait_ready
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBox
from core.db import create_engine, create_sessionmaker
from core.settings import Settings, get_settings
from core.units.importer import import_units, read_document
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from feedback.listing import repository as listing
from feedback.listing.filters import PublicFilters
from feedback.reports.status import OPEN_STATUSES
from migrations.runner import upgrade

# The demo wards' extent and the city centre the generated reports crowd around.
EXTENT = (106.092, 20.371, 106.247, 20.497)
CENTRE = (106.175, 20.43)
# Where the load's new reports are: the city core, well inside the wards (the province refuses outside).
CITY_CORE = (106.15, 20.41, 106.20, 20.45)
SPREAD = 0.04
TARGETS = {"map": 50.0, "duplicates": 20.0, "submit": 300.0}  # ms, ms, requests/s
SECRET = "bench-feedback-" + "s" * 40


@dataclass(frozen=True, slots=True)
class Timings:
    name: str
    samples_ms: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


@dataclass(frozen=True, slots=True)
class Row:
    table: str
    timings: Timings
    baseline: Timings
    target_ms: float | None = None
    note: str = ""


def bench_settings(database: str) -> Settings:
    base = get_settings()
    url = urlsplit(base.database_dsn)._replace(path=f"/{database}")
    return base.model_copy(
        update={
            "database_url": SecretStr(urlunsplit(url)),
            "secret_key": SecretStr(SECRET),
        }
    )


def admin_dsn(settings: Settings, database: str | None = None) -> str:
    url = urlsplit(settings.database_dsn)
    if database is not None:
        url = url._replace(path=f"/{database}")
    return urlunsplit(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def recreate(settings: Settings, *, drop_only: bool = False) -> None:
    connection = await asyncpg.connect(admin_dsn(settings, "postgres"))
    try:
        name = urlsplit(settings.database_dsn).path.lstrip("/")
        # FORCE cannot end an autovacuum worker (a superuser's process), which a large fill leaves running
        # on the database for a while: try again until it is done.
        for attempt in range(60):
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except asyncpg.InsufficientPrivilegeError:
                if attempt == 59:
                    raise
                await asyncio.sleep(1)
        if not drop_only:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


# -- Measuring ---------------------------------------------------------------------------------------------


def city_box(rng: random.Random) -> BBox:
    """The demo wards' extent, moved by up to 0.01° and scaled by ±5%: no two boxes alike."""
    min_lon, min_lat, max_lon, max_lat = EXTENT
    scale = rng.uniform(0.95, 1.05)
    half_w, half_h = (max_lon - min_lon) * scale / 2, (max_lat - min_lat) * scale / 2
    lon = (min_lon + max_lon) / 2 + rng.uniform(-0.01, 0.01)
    lat = (min_lat + max_lat) / 2 + rng.uniform(-0.01, 0.01)
    return BBox(lon - half_w, lat - half_h, lon + half_w, lat + half_h)


def small_box(rng: random.Random) -> BBox:
    """A street-sized box (about 1 km) anywhere in the extent: dense near the centre, sparse at the edge."""
    lon, lat = rng.uniform(EXTENT[0], EXTENT[2] - 0.01), rng.uniform(EXTENT[1], EXTENT[3] - 0.01)
    return BBox(lon, lat, lon + 0.01, lat + 0.01)


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter_ns()
    await call()
    return (time.perf_counter_ns() - started) / 1e6


async def measure(
    session: AsyncSession,
    name: str,
    make_call: Callable[[random.Random], Callable[[], Awaitable[Any]]],
    runs: int,
    rounds: int = 5,
) -> tuple[Timings, Timings]:
    """`runs` calls in `rounds` alternating with as many `SELECT 1` on the same connection."""
    rng = random.Random(name)
    select_one = text("SELECT 1")
    for _ in range(20):  # warm up: prepared statements, caches
        await make_call(rng)()
        await session.execute(select_one)
    samples: list[float] = []
    baseline: list[float] = []
    size = max(1, runs // rounds)
    for _ in range(rounds):
        for _ in range(size):
            samples.append(await timed(make_call(rng)))
        for _ in range(size):
            baseline.append(await timed(lambda: session.execute(select_one)))
        await session.rollback()  # end the read transaction between rounds, as requests would
    return Timings(name, samples), Timings("SELECT 1", baseline)


def duplicate_call(session: AsyncSession, radius: dict[str, int]) -> Callable[[random.Random], Any]:
    """A call of find_nearby_open at a random point, or None when it is not there."""
    try:
        from feedback.submission.duplicates import find_nearby_open
    except ImportError:
        return lambda rng: None
    since = datetime.now(UTC) - timedelta(days=30)
    codes = sorted(radius)

    def make(rng: random.Random) -> Callable[[], Awaitable[Any]]:
        category = rng.choice(codes)
        lon = CENTRE[0] + (rng.random() + rng.random() + rng.random() - 1.5) * SPREAD
        lat = CENTRE[1] + (rng.random() + rng.random() + rng.random() - 1.5) * SPREAD
        return lambda: find_nearby_open(session, category, lat, lon, radius_m=radius[category], since=since)

    return make


async def query_rows(session: AsyncSession, table: str, runs: int) -> list[Row]:
    open_only = PublicFilters(statuses=tuple(sorted(OPEN_STATUSES)))
    everything = PublicFilters()
    rows: list[Row] = []
    baseline = (await measure(session, "SELECT 1 only", lambda rng: lambda: asyncio.sleep(0), runs))[1]
    rows.append(Row(table, baseline, baseline, note="bare round trip"))

    def map_call(box: Callable[[random.Random], BBox], filters: PublicFilters) -> Any:
        def make(rng: random.Random) -> Callable[[], Awaitable[Any]]:
            chosen = box(rng)
            return lambda: listing.public_map(session, chosen, filters, limit=500)

        return make

    for name, box, filters, target in (
        ("map, city box (500 newest)", city_box, everything, TARGETS["map"]),
        ("map, city box, open only", city_box, open_only, TARGETS["map"]),
        ("map, 1 km box", small_box, everything, TARGETS["map"]),
    ):
        timings, base = await measure(session, name, map_call(box, filters), runs)
        rows.append(Row(table, timings, base, target))
    radius = {
        str(code): int(r)
        for code, r in (
            await session.execute(text("SELECT code, duplicate_radius_m FROM feedback_categories"))
        ).all()
    }
    make = duplicate_call(session, radius)
    if make(random.Random(0)) is None:
        print("feedback.submission.duplicates.find_nearby_open is not available: duplicate search skipped")
    else:
        timings, base = await measure(session, "duplicate search", make, runs)
        rows.append(Row(table, timings, base, TARGETS["duplicates"]))
    return rows


# -- Setting up --------------------------------------------------------------------------------------------


async def prepare(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await import_units(session, read_document(settings.demo_units_file))
            await seed_catalogue(session, yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8")))
            await session.commit()
    finally:
        await engine.dispose()


async def fill(settings: Settings, reports: int) -> float:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        started = time.perf_counter()
        values = {
            "reports": reports,
            "centre_lon": CENTRE[0],
            "centre_lat": CENTRE[1],
            "spread": SPREAD,
            "min_lon": EXTENT[0],
            "min_lat": EXTENT[1],
            "max_lon": EXTENT[2],
            "max_lat": EXTENT[3],
        }
        statement = FILL_SQL
        for key, value in sorted(values.items(), key=lambda item: -len(item[0])):
            statement = statement.replace(f":{key}", repr(value))
        await connection.execute(statement)
        await connection.execute(MOVE_SEQUENCE_SQL.replace(":reports", str(reports)))
        filled = time.perf_counter() - started
        await connection.execute("VACUUM ANALYZE feedback_reports")
        print(
            f"filled {reports:,} reports in {filled:.1f} s, vacuumed and analysed in "
            f"{time.perf_counter() - started - filled:.1f} s"
        )
        mix = await connection.fetch(
            "SELECT status, count(*) AS n FROM feedback_reports GROUP BY status ORDER BY n DESC"
        )
        print("  statuses: " + ", ".join(f"{row['status']} {row['n'] / reports:.1%}" for row in mix))
        return filled
    finally:
        await connection.close()


async def run_queries(settings: Settings, table: str, runs: int) -> list[Row]:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return await query_rows(session, table, runs)
    finally:
        await engine.dispose()


async def run_submissions(settings: Settings, args: argparse.Namespace) -> LoadResult | None:
    try:
        import feedback.submission.service  # noqa: F401  (submission must exist for the route to answer)
    except ImportError:
        print("feedback.submission.service is not available: submissions skipped")
        return None
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            tokens = await citizens(session, settings, args.users)
    finally:
        await engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-feedback-media-") as media:
        # Several API processes are separate servers on their own ports, as containers behind a balancer
        # are; the load spreads its connections over them evenly (uvicorn --workers leaves that to accept()).
        ports = [free_port() for _ in range(args.workers)]
        servers = [start_server(settings, port, Path(media), args.redis_url) for port in ports]
        try:
            base_urls = [f"http://127.0.0.1:{port}" for port in ports]
            for base_url in base_urls:
                await wait_ready(base_url)
            return await submit_load(
                base_urls,
                tokens,
                seconds=args.seconds,
                concurrency=args.concurrency,
                server_pids=[server.pid for server in servers],
                bounds=CITY_CORE,
            )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)


# -- Reporting ---------------------------------------------------------------------------------------------


def print_queries(rows: list[Row]) -> None:
    print(
        f"\n{'table':<17} {'query':<30} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'SELECT 1 p50/p99':>17} "
        f"{'ratio p50':>9} {'ratio p99':>9} {'target p99':>10}"
    )
    for row in rows:
        t, b = row.timings, row.baseline
        target = f"< {row.target_ms:.0f} ms" if row.target_ms else ""
        verdict = "" if row.target_ms is None else (" ok" if t.p99 < row.target_ms else " MISSED")
        print(
            f"{row.table:<17} {t.name:<30} {len(t.samples_ms):>5} {t.p50:>8.2f} {t.p99:>8.2f} "
            f"{b.p50:>8.3f}/{b.p99:<8.3f} {t.p50 / b.p50:>8.1f}x {t.p99 / b.p99:>8.1f}x "
            f"{target:>10}{verdict}"
        )


def print_load(result: LoadResult, concurrency: int) -> None:
    cpu_ms = result.server_cpu_seconds * 1000 / max(1, result.ok + result.failed)
    rate = result.ok / result.seconds
    ordered = sorted(result.latencies_ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")
    p50 = statistics.median(ordered) if ordered else float("nan")
    verdict = "ok" if rate >= TARGETS["submit"] else "MISSED"
    print(
        f"\nsubmissions (no photos), {concurrency} in flight for {result.seconds:.0f} s: "
        f"{rate:.0f}/s (target >= {TARGETS['submit']:.0f}/s: {verdict}), "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"created {result.ok}, errors {result.failed} {dict(sorted(result.statuses.items()))}; "
        f"API CPU {result.server_cpu_seconds / result.seconds:.2f} cores, {cpu_ms:.1f} ms per request "
        f"(at most {1000 / cpu_ms:.0f}/s per API core)"
    )
    for sample in result.samples:
        print(f"  e.g. {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=1_000_000, help="reports to generate (default 1M)")
    parser.add_argument("--runs", type=int, default=500, help="calls per query figure (default 500)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the submission load")
    parser.add_argument("--concurrency", type=int, default=32, help="submissions in flight")
    parser.add_argument("--users", type=int, default=300, help="citizens submitting")
    parser.add_argument("--workers", type=int, default=1, help="API processes, each a server on its own port")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:56379/13", help="Redis for the API server")
    parser.add_argument("--database", default="smartcity_bench_feedback", help="database to (re)create")
    parser.add_argument("--skip-submit", action="store_true", help="measure the queries only")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database kept by an earlier --keep run (no empty-table figures)",
    )
    args = parser.parse_args()

    settings = bench_settings(args.database)
    rows: list[Row] = []
    if not args.reuse:
        asyncio.run(recreate(settings))
    try:
        if not args.reuse:
            upgrade(settings.database_dsn)
            asyncio.run(prepare(settings))
            rows += asyncio.run(run_queries(settings, "empty", args.runs))
            asyncio.run(fill(settings, args.reports))
        label = f"{args.reports / 1e6:g}M" if args.reports >= 1_000_000 else f"{args.reports:,}"
        if args.reuse:
            label = "kept"
        rows += asyncio.run(run_queries(settings, label, args.runs))
        # A full collection of this process's heap (the app's modules: about 180,000 objects) takes on the
        # order of 100 ms here; the map's hundreds of objects per answer trigger one every few calls. Frozen
        # after start-up, those objects are no longer scanned: the same figures again, that way.
        gc.collect()
        gc.freeze()
        rows += asyncio.run(run_queries(settings, f"{label} gc.freeze", args.runs))
        print_queries(rows)
        if not args.skip_submit:
            result = asyncio.run(run_submissions(settings, args))
            if result is not None:
                print_load(result, args.concurrency)
    finally:
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


if __name__ == "__main__":
    main()
