"""Benchmark of dossier tracking: the citizen's lookup by code and second factor, and the agencies' sync.

Creates its own database (dropped at the end unless --keep), migrates it, imports the demo province, seeds the
procedure catalogue, eleven agencies with a sync key each, then in the same run:
  1. fills --dossiers dossiers and --steps timeline steps (bench/dossier_fill.py) by one binary COPY per
     table and prints its rows a second, then ANALYZE;
  2. lookup: `smartcity serve` processes (--api-procs, or 1, 2 and 3 with --sweep) on free ports, and
     --clients keep-alive connections from --load-procs processes (bench/dossier_load.py) posting
     /api/v1/dossiers/lookup with random existing codes and their right factor (phone or ID number, half
     each) for --seconds: requests a second, p50, p99, every status (all must be 200: no 429, no 503);
     baselines: the same lookups on bare servers of the same work without the API's HTTP stack
     (bench/dossier_bare_server.py), with and without the limits' Redis round trip, and the lookup's query
     through asyncpg alone from as many connections;
  3. sync: batches of 1,000 legal next steps of dossiers in 2, 4 or 9 (2 -> 4 -> 4 -> 9 -> 10), prepared
     up front, posted to /api/v1/dossiers/sync with the agencies' keys by --sync-clients connections, each
     sending its own batches in order, for --seconds: updates applied a second, p50 and p99 per batch;
     baseline: as many dossier_steps rows written by one COPY (rolled back).

Run: .venv/bin/python bench/dossier_tracking.py [--dossiers 1000000] [--steps 5000000] [--seconds 30]
     [--api-procs 2] [--sweep] [--clients 64] [--load-procs 2] [--sync-clients 4] [--skip-bare] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from dossier_fill import Filled, Plan, base_plan_args, fill, load_plan
from dossier_parts import BareServers, Servers, failures, latency, percentile, run_load, show_samples, split
from feedback_bench import admin_dsn, bench_settings, recreate
from sqlalchemy import text

from core.calendar import working_calendar
from core.db import create_engine, create_sessionmaker
from core.identity.models import User
from core.identity.principal import Role
from core.settings import Settings
from core.units.importer import import_units, read_document
from dossiers.agencies import service as agency_service
from dossiers.agencies.schemas import AgencyCreate
from dossiers.catalogue.seed import seed_procedures
from dossiers.citizen.repository import BY_FACTOR  # the very statement the lookup runs
from dossiers.keys import suffix_hash
from dossiers.types import AgencyLevel
from migrations.runner import upgrade

LOOKUP_TARGET = (2000.0, 30.0)  # requests/s, p99 ms
SYNC_TARGET = 5000.0  # updates/s
BATCH = 1000
PROVINCE_AGENCIES = (
    ("000.00.22.H40", "Sở Tư pháp tỉnh Ninh Bình"),
    ("000.00.15.H40", "Sở Tài chính tỉnh Ninh Bình"),
    ("000.00.19.H40", "Sở Nông nghiệp và Môi trường tỉnh Ninh Bình"),
)
WARDS = text("SELECT code, name FROM admin_units WHERE level = 'ward' ORDER BY code")
# The legal steps a dossier in 2, 4 or 9 takes next, one a round.
CHAINS = {2: (4, 4, 9, 10), 4: (4, 9, 10), 9: (10,)}


# -- Setting up --------------------------------------------------------------------------------------------


async def prepare(settings: Settings) -> dict[str, str]:
    """Units, procedures, agencies and one sync key per agency (made as the admin route makes them)."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await import_units(session, read_document(settings.demo_units_file))
            await seed_procedures(session)
            admin = User(id=uuid.uuid4(), role=Role.ADMIN, username="bench-admin", display_name="Bench admin")
            session.add(admin)
            await session.flush()
            now = datetime.now(UTC)
            bodies = [
                AgencyCreate(code=code, name_vi=name, level=AgencyLevel.PROVINCE, unit_code="37")
                for code, name in PROVINCE_AGENCIES
            ]
            wards = await session.execute(WARDS)
            bodies += [
                AgencyCreate(
                    code=f"H40.{code}",
                    name_vi=f"Ủy ban nhân dân {name}",
                    level=AgencyLevel.COMMUNE,
                    unit_code=code,
                )
                for code, name in wards.all()
            ]
            keys: dict[str, str] = {}
            for body in bodies:
                await agency_service.create_agency(session, body, now=now)
                _, created = await agency_service.create_sync_key(
                    session, body.code, name=None, created_by=admin.id, now=now
                )
                keys[body.code] = created.key
            await session.commit()
            return keys
    finally:
        await engine.dispose()


async def fill_tables(settings: Settings, dossiers: int, steps: int) -> tuple[Plan, Filled]:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        args = base_plan_args(settings, working_calendar(settings), dossiers, steps)
        plan = await load_plan(connection, args)
        filled = await fill(connection, plan)
        started = time.perf_counter()
        await connection.execute("ANALYZE dossiers, dossier_steps")
        mix = await connection.fetch(
            "SELECT status, count(*) AS n FROM dossiers GROUP BY status ORDER BY status"
        )
        print(
            f"analysed in {time.perf_counter() - started:.1f} s; statuses: "
            + ", ".join(f"{row['status']}: {row['n'] / max(filled.dossiers, 1):.1%}" for row in mix),
            flush=True,
        )
        return plan, filled
    finally:
        await connection.close()


def lookup_codes(settings: Settings, filled: Filled) -> list[list[str]]:
    """[code, factor, the factor's keyed hash]: the ID number's last four for half of those who have one."""
    rng = random.Random(5)
    codes = []
    for code, phone4, id4 in filled.lookups:
        factor = id4 if id4 is not None and rng.random() < 0.5 else phone4
        codes.append([code, factor, suffix_hash(settings, code, factor)])
    return codes


def lookup_phase(settings: Settings, args: argparse.Namespace, codes: list[list[str]], workdir: Path) -> None:
    for procs in (1, 2, 3) if args.sweep else (args.api_procs,):
        lookup_load(args, Servers(settings, procs, args.redis_url, workdir), codes, workdir, "API")
    if not args.skip_bare:
        # The same work without the API's HTTP stack, then without the limits' round trip as well.
        for limits in (True, False):
            servers = BareServers(settings, args.api_procs, args.redis_url, limits=limits)
            lookup_load(args, servers, codes, workdir, "bare" if limits else "bare without limits")
    specs = [
        {"mode": "sql", "dsn": admin_dsn(settings), "sql": BY_FACTOR, "connections": n, "seed": k}
        | {"seconds": args.seconds, "codes": codes}
        for k, n in enumerate(split(args.clients, args.load_procs))
    ]
    result = run_load(specs, workdir)
    found = result["statuses"].get("200", 0)
    print(
        f"baseline lookup query through asyncpg, {args.clients} connections: "
        f"{found / result['seconds']:,.0f} queries/s, {latency(result['latencies_ms'])}, "
        f"rows found {found} of {sum(result['statuses'].values())}",
        flush=True,
    )


def lookup_load(
    args: argparse.Namespace, servers: Servers, codes: list[list[str]], workdir: Path, kind: str
) -> None:
    """The lookup on `servers`: as fast as the answers come, then offered at the target's rate (or --rate)."""
    try:
        asyncio.run(servers.ready())
        for rate in (None, args.rate):
            if rate == 0:
                continue
            specs = [
                {"mode": "lookup", "urls": servers.urls, "connections": n, "seconds": args.seconds}
                | {"seed": k, "codes": codes, "rate": rate and rate * n / args.clients}
                for k, n in enumerate(split(args.clients, args.load_procs))
            ]
            cpu = servers.cpu()
            result = run_load(specs, workdir)
            cpu = servers.cpu() - cpu
            report_lookup(args, kind, len(servers.urls), rate, result, cpu)
    finally:
        servers.stop()


def report_lookup(
    args: argparse.Namespace, kind: str, procs: int, rate: float | None, result: dict[str, Any], cpu: float
) -> None:
    statuses = result["statuses"]
    answered = statuses.get("200", 0) / result["seconds"]
    errors = failures(result)
    p99 = percentile(result["latencies_ms"], 0.99)
    # Offered at a rate, the load must also have been answered at that rate (a 1% shortfall is the schedule's
    # last, unanswered requests at the deadline).
    enough = answered >= LOOKUP_TARGET[0] and (rate is None or answered >= 0.99 * rate)
    verdict = "meets" if enough and p99 < LOOKUP_TARGET[1] and not errors else "misses"
    load = f"offered {rate:,.0f} req/s" if rate else "as fast as answered"
    print(
        f"lookup, {procs} {_servers(kind, procs)}, {args.clients} clients, {load}, for "
        f"{result['seconds']:.0f} s: {answered:,.0f} req/s, {latency(result['latencies_ms'])}, "
        f"errors {errors} (429: {statuses.get('429', 0)}, 503: {statuses.get('503', 0)}, "
        f"all {dict(sorted(statuses.items()))}); "
        f"{'API' if kind == 'API' else 'server'} CPU {cpu / result['seconds']:.2f} cores "
        f"({cpu / max(1, statuses.get('200', 0)) * 1000:.2f} ms a lookup); "
        + (f"target >= 2,000 req/s, p99 < 30 ms: {verdict}" if kind == "API" else "a baseline"),
        flush=True,
    )
    show_samples(result)


def _servers(kind: str, count: int) -> str:
    """The servers as the report names them: "2 API processes", "1 bare server", "2 bare servers without
    limits"."""
    if kind == "API":
        return f"API process{'es' if count > 1 else ''}"
    name, _, rest = kind.partition(" ")
    return f"{name} server{'s' if count > 1 else ''}" + (f" {rest}" if rest else "")


def sync_batches(
    plan: Plan, filled: Filled, keys: dict[str, str], clients: int
) -> list[list[dict[str, Any]]]:
    """Each client's batches: its share of every agency's movable dossiers, step after step, 1,000 a batch."""
    start = plan.now - timedelta(minutes=30)
    moments = [(start + timedelta(seconds=r)).isoformat() for r in range(4)]
    shares: list[dict[str, list[tuple[str, int]]]] = [{} for _ in range(clients)]
    for k, (agency, code, status) in enumerate(filled.movable):
        shares[k % clients].setdefault(agency, []).append((code, status))
    queues: list[list[dict[str, Any]]] = []
    for share in shares:
        per_agency: list[Iterator[dict[str, Any]]] = []
        for agency, dossiers in sorted(share.items()):
            updates = [
                [code, CHAINS[status][r], moments[r]]
                for r in range(4)
                for code, status in dossiers
                if r < len(CHAINS[status])
            ]
            batches = [
                {"key": keys[agency], "updates": updates[i : i + BATCH]}
                for i in range(0, len(updates), BATCH)
            ]
            per_agency.append(iter(batches))
        queue: list[dict[str, Any]] = []
        while per_agency:  # agencies in turn, each agency's batches in their order
            for batches_left in list(per_agency):
                batch = next(batches_left, None)
                if batch is None:
                    per_agency.remove(batches_left)
                else:
                    queue.append(batch)
        queues.append(queue)
    return queues


def sync_phase(
    settings: Settings,
    args: argparse.Namespace,
    plan: Plan,
    filled: Filled,
    keys: dict[str, str],
    workdir: Path,
) -> None:
    queues = sync_batches(plan, filled, keys, args.sync_clients)
    prepared = sum(len(batch["updates"]) for queue in queues for batch in queue)
    servers = Servers(settings, args.api_procs, args.redis_url, workdir)
    try:
        asyncio.run(servers.ready())
        counts = split(len(queues), args.load_procs)
        specs, first = [], 0
        for n in counts:
            specs.append({"mode": "sync", "urls": servers.urls, "connections": n, "seconds": args.seconds})
            specs[-1]["batches"] = queues[first : first + n]
            first += n
        cpu = servers.cpu()
        result = run_load(specs, workdir)
        cpu = servers.cpu() - cpu
    finally:
        servers.stop()
    applied = result["outcomes"].get("updated", 0)
    rate = applied / result["seconds"]
    errors = failures(result)
    ran_out = f"; all {prepared:,} prepared updates sent" if result["exhausted"] == len(queues) else ""
    print(
        f"sync, {args.api_procs} API process{'es' if args.api_procs > 1 else ''}, "
        f"{args.sync_clients} clients, "
        f"batches of {BATCH:,} for {result['seconds']:.1f} s: {rate:,.0f} updates/s applied "
        f"({applied:,} of {result['items']:,} sent{ran_out}), per batch {latency(result['latencies_ms'])}, "
        f"errors {errors}, results {dict(sorted(result['outcomes'].items()))}; "
        f"API CPU {cpu / result['seconds']:.2f} cores; target >= 5,000 updates/s: "
        f"{'meets' if rate >= SYNC_TARGET and not errors else 'misses'}",
        flush=True,
    )
    show_samples(result)
    asyncio.run(copy_baseline(settings, plan, max(applied, 1)))


async def copy_baseline(settings: Settings, plan: Plan, rows: int) -> None:
    """`rows` hand-over steps of existing dossiers written by one COPY, in a transaction rolled back."""
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        ids = [row["id"] for row in await connection.fetch("SELECT id FROM dossiers LIMIT $1", rows)]
        start = plan.now - timedelta(days=1)
        records = [
            (
                ids[k % len(ids)],
                4,
                4,
                start + timedelta(microseconds=k),
                "Phòng chuyên môn",
                "Lê Minh Đức",
                plan.now,
            )
            for k in range(rows)
        ]
        columns = ("dossier_id", "status", "previous_status", "at", "unit_name", "officer_name", "created_at")
        transaction = connection.transaction()
        await transaction.start()
        started = time.perf_counter()
        await connection.copy_records_to_table("dossier_steps", records=records, columns=columns)
        seconds = time.perf_counter() - started
        await transaction.rollback()
        print(
            f"baseline: {rows:,} dossier_steps rows by one COPY in {seconds:.2f} s: "
            f"{rows / seconds:,.0f} rows/s",
            flush=True,
        )
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each load")
    parser.add_argument("--api-procs", type=int, default=2, help="API processes, each on its own port")
    parser.add_argument("--sweep", action="store_true", help="the lookup with 1, 2 and 3 API processes")
    parser.add_argument("--clients", type=int, default=64, help="keep-alive connections of the lookup")
    parser.add_argument("--load-procs", type=int, default=2, help="processes generating the load")
    parser.add_argument(
        "--rate",
        type=float,
        default=LOOKUP_TARGET[0],
        help="lookups a second offered after the closed loop (0: none)",
    )
    parser.add_argument("--sync-clients", type=int, default=4, help="connections sending sync batches")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:56379/10", help="Redis of the API servers")
    parser.add_argument("--database", default="smartcity_bench_dossiers", help="database to (re)create")
    parser.add_argument("--skip-lookup", action="store_true")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument(
        "--skip-bare",
        action="store_true",
        help="leave out the bare servers' baseline (dossier_bare_server.py)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()

    settings = bench_settings(args.database)
    asyncio.run(recreate(settings))
    try:
        upgrade(settings.database_dsn)
        keys = asyncio.run(prepare(settings))
        plan, filled = asyncio.run(fill_tables(settings, args.dossiers, args.steps))
        with tempfile.TemporaryDirectory(prefix="bench-dossiers-") as workdir:
            if not args.skip_lookup:
                lookup_phase(settings, args, lookup_codes(settings, filled), Path(workdir))
            if not args.skip_sync:
                sync_phase(settings, args, plan, filled, keys, Path(workdir))
    finally:
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


if __name__ == "__main__":
    main()
