"""Benchmark of the operations centre's map: vector tiles and GeoJSON layers over a full province.

Creates its own database (dropped at the end unless --keep), migrates it, imports the demo province, seeds
the report catalogue and the starting alert rules, an admin and an officer of one ward (--officer-ward),
then in the same run:
  1. fills (bench/ioc_map_fill.py, set-based statements): --reports citizen reports over two years (5% open,
     crowded around the town centres), --devices devices of every type with their latest state, --alarms
     active alarms (and a history of cleared ones), --incidents incidents with their alarm and nearby open
     reports, --field-staff field staff (three in four on duty), --warnings public warnings; prints how long
     each took, then VACUUM ANALYZE;
  2. load: `smartcity serve` processes (--api-procs) on free ports, and --clients keep-alive connections
     from --load-procs processes (bench/ioc_map_load.py) requesting, for --seconds per group, as the admin
     (tiles over the province) and as the officer (tiles over his ward): vector tiles at city zoom (z12-14)
     and at province zoom (z8-10) of the devices, reports, alarms and units layers; hotspot tiles at both;
     GeoJSON of devices, reports and alarms in city-sized boxes. Each group is followed by its baseline:
     the same requests' statements (from ioc.map.repository, with the caller's unit scope) through asyncpg
     alone on as many connections. Printed per group: requests a second, p50, p95, p99, errors, the bare
     query's figures, the ratio HTTP/bare, and the target (p95 < 50 ms at z12-14, < 100 ms at z8-10 and for
     GeoJSON).

Run: .venv/bin/python bench/ioc_map.py [--reports 1000000] [--devices 10000] [--alarms 5000] [--seconds 10]
     [--api-procs 2] [--clients 16] [--load-procs 2] [--skip-load] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from dossier_parts import Servers, run_load, show_samples, split
from feedback_bench import admin_dsn, bench_settings, prepare, recreate
from ioc_map_fill import Filler, Sizes, describe, publish_warnings
from ioc_map_parts import Figures, Group, map_repository_ready, plan, ratio, verdict
from sqlalchemy import text

from core.db import create_engine, create_sessionmaker
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import PROJECT_ROOT, Settings
from ioc.rules.seed import read_rules, seed_rules
from migrations.runner import upgrade

LOAD = PROJECT_ROOT / "bench" / "ioc_map_load.py"
PROVINCE = "37"
WARDS_SQL = "SELECT code FROM admin_units WHERE level = 'ward' ORDER BY code"


async def people(settings: Settings, ward: str, warnings: int) -> dict[str, uuid.UUID]:
    """The starting alert rules (the alarms refer to them), the admin and the ward's officer, and the
    public warnings (published by the admin)."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed_rules(session, read_rules())
            admin = User(
                id=uuid.uuid4(), role=Role.ADMIN, username="bench-map-admin", display_name="Bench admin"
            )
            officer = User(
                id=uuid.uuid4(),
                role=Role.OFFICER,
                username="bench-map-officer",
                display_name="Cán bộ phường",
                unit_code=ward,
            )
            session.add_all([admin, officer])
            await session.flush()
            wards = [str(code) for code in (await session.execute(text(WARDS_SQL))).scalars()]
            await publish_warnings(session, settings, admin.id, wards, warnings)
            await session.commit()
            return {"admin": admin.id, "officer": officer.id}
    finally:
        await engine.dispose()


async def fill(settings: Settings, sizes: Sizes) -> None:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        filler = Filler(connection)
        await filler.start()
        await filler.reports(sizes)
        await filler.devices(sizes)
        await filler.alarms(sizes)
        await filler.incidents(sizes)
        await filler.field_staff(sizes)
        await filler.analyse()
        await filler.count()
        print(describe(filler.filled, sizes), flush=True)
    finally:
        await connection.close()


async def groups_of(settings: Settings, ward: str) -> list[Group]:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        return await plan(connection, PROVINCE, ward)
    finally:
        await connection.close()


def specs(args: argparse.Namespace, mode: str, extra: dict[str, Any], group: Group) -> list[dict[str, Any]]:
    return [
        {"mode": mode, "connections": n, "seconds": args.seconds, "seed": k, "requests": group.requests}
        | extra
        for k, n in enumerate(split(args.clients, args.load_procs))
    ]


def load(settings: Settings, args: argparse.Namespace, users: dict[str, uuid.UUID], workdir: Path) -> None:
    groups = asyncio.run(groups_of(settings, args.officer_ward))
    units = {"admin": None, "officer": args.officer_ward}
    scopes = {
        "admin": {"all_units": True, "codes": []},
        "officer": {"all_units": False, "codes": [args.officer_ward]},
    }
    servers = Servers(settings, args.api_procs, args.redis_url, workdir)
    rows: list[tuple[Group, Figures, Figures]] = []
    try:
        asyncio.run(servers.ready())
        many = {"api": "es" if args.api_procs > 1 else "", "load": "es" if args.load_procs > 1 else ""}
        print(
            f"load: {args.api_procs} API process{many['api']}, {args.clients} connections from "
            f"{args.load_procs} process{many['load']}, {args.seconds:g} s per group and as long for its bare "
            f"queries; the officer's ward {args.officer_ward}",
            flush=True,
        )
        for group in groups:
            role = Role.ADMIN if group.role == "admin" else Role.OFFICER
            # A token per group: a long run outlives an access token's minutes.
            token, _ = issue_access_token(
                settings, Principal(user_id=users[group.role], role=role, unit_code=units[group.role])
            )
            cpu = servers.cpu()
            result = run_load(
                specs(args, "http", {"urls": servers.urls, "token": token}, group), workdir, LOAD
            )
            cpu = servers.cpu() - cpu
            http = Figures.of(result, ("200", "204"))
            bare_result = run_load(
                specs(args, "bare", {"dsn": admin_dsn(settings)} | scopes[group.role], group), workdir, LOAD
            )
            bare = Figures.of(bare_result, ("200",))
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))
            print(
                f"{group.name}, {group.role}, {len(group.requests)} distinct requests: HTTP "
                f"{http.text('req')} ({statuses}); bare query through asyncpg {bare.text('queries')}; "
                f"HTTP/bare p50 {ratio(http.p50, bare.p50)}, p95 {ratio(http.p95, bare.p95)}; "
                f"API CPU {cpu / max(result['seconds'], 1e-9):.2f} cores; {verdict(group, http)}",
                flush=True,
            )
            show_samples(result)
            show_samples(bare_result)
            rows.append((group, http, bare))
    finally:
        servers.stop()
    summary(rows)


def summary(rows: list[tuple[Group, Figures, Figures]]) -> None:
    print(
        f"\n{'group':<52} {'as':<8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'bare p50':>9} "
        f"{'bare p95':>9} {'p95 x':>6} {'errors':>6}  target"
    )
    for group, http, bare in rows:
        print(
            f"{group.name:<52} {group.role:<8} {http.rate:>7,.0f} {http.p50:>7.1f} {http.p95:>7.1f} "
            f"{http.p99:>7.1f} {bare.p50:>9.2f} {bare.p95:>9.2f} {ratio(http.p95, bare.p95):>6} "
            f"{http.errors + bare.errors:>6}  {verdict(group, http)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--alarms", type=int, default=5_000, help="active alarms")
    parser.add_argument("--cleared-alarms", type=int, default=None, help="history (default 4 x --alarms)")
    parser.add_argument("--open-share", type=float, default=0.05, help="share of the reports still open")
    parser.add_argument("--incidents", type=int, default=200, help="open incidents")
    parser.add_argument("--field-staff", type=int, default=300)
    parser.add_argument("--warnings", type=int, default=3, help="current public warnings")
    parser.add_argument("--officer-ward", default="13666", help="the ward of the officer whose view is timed")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each group's load")
    parser.add_argument("--api-procs", type=int, default=2, help="API processes, each on its own port")
    parser.add_argument("--clients", type=int, default=16, help="keep-alive connections of the load")
    parser.add_argument("--load-procs", type=int, default=2, help="processes generating the load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:56379/10", help="Redis of the API servers")
    parser.add_argument("--database", default="smartcity_bench_map", help="database to (re)create")
    parser.add_argument("--skip-load", action="store_true", help="fill only")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    sizes = Sizes(
        reports=args.reports,
        devices=args.devices,
        alarms=args.alarms,
        cleared_alarms=4 * args.alarms if args.cleared_alarms is None else args.cleared_alarms,
        incidents=args.incidents,
        field_staff=args.field_staff,
        warnings=args.warnings,
        open_share=args.open_share,
    )

    settings = bench_settings(args.database)
    asyncio.run(recreate(settings))
    try:
        upgrade(settings.database_dsn)
        asyncio.run(prepare(settings))
        users = asyncio.run(people(settings, args.officer_ward, args.warnings))
        asyncio.run(fill(settings, sizes))
        if not args.skip_load:
            if not map_repository_ready():
                raise SystemExit(
                    "ioc.map.repository has no tile_query/geojson_query: the map's routes are not here yet "
                    "(run with --skip-load to fill only)"
                )
            with tempfile.TemporaryDirectory(prefix="bench-map-") as workdir:
                load(settings, args, users, Path(workdir))
    finally:
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


if __name__ == "__main__":
    main()
