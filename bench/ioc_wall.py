"""Benchmark of the wall page in headless Chromium: time to interactive with --devices devices, and whether
the page keeps up with --rate devices.updated events a second, measured with the page's own clock
(window.__wall: performance.now() since the navigation, events applied, delay from occurred_at to applied).

Creates a database (`smartcity_bench_wall` unless --database; dropped at the end unless --keep), migrates
it, loads the demo province and spreads the devices over its wards (each with a reading, so each has a
level), with an officer of the province. Starts `smartcity serve` and `smartcity worker --only relay` on an
event stream of its own, signs in once in Chromium (Debian's, with the wall's test switches), then:

1. reloads the page and waits until the map is idle, the live channel is live and the alarm list is loaded:
   the latest of the three is the time to interactive (target under 3 s);
2. writes --rate devices.updated events a second for --seconds into the outbox, one device each (the worst
   case for the page: one message per update), and samples the page every half second. Printed: events sent
   and applied, the delay from the event to its application (p50, p99 of the samples), and frames per second.

Installs nothing: it needs the built bundle (scripts/bootstrap.sh) and /usr/bin/chromium.

Run: .venv/bin/python bench/ioc_wall.py [--devices 10000] [--rate 100] [--seconds 30]
     [--database smartcity_bench_wall] [--redis-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from feedback_bench import admin_dsn, bench_settings, recreate
from playwright.async_api import Page, async_playwright
from redis.asyncio import Redis
from ws import free_port, start, stop, wait_port

from core.identity.passwords import hash_password
from core.settings import Settings
from core.units.importer import import_units_file
from migrations.runner import upgrade
from tests.ioc.wall.support import CHROMIUM, CHROMIUM_ARGS, SMARTCITY

TTI_TARGET_MS = 3000.0
USERNAME = "bench.wall"
PASSWORD = "bench-wall-password"  # noqa: S105  (an account of the benchmark's own database)
BATCH_SECONDS = 0.1
METRICS = {"water_level": ("level_cm", 60.0), "air_quality": ("pm25", 200.0), "noise": ("laeq_db", 90.0)}
INSERT = """
INSERT INTO event_outbox (event_id, type, topic, occurred_at, unit_code, subject_id, data)
SELECT id, 'devices.updated', 'devices', now(), unit, NULL, data
FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS e(id, unit, data)
"""


async def seed(settings: Settings, devices: int) -> list[dict[str, Any]]:
    """The devices, each with a state, and the officer; returns a sample of devices to update."""
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        wards = await connection.fetchval("SELECT count(*) FROM admin_units WHERE level = 'ward'")
        await connection.execute(
            "INSERT INTO devices (id, type, name, location, ward_code, province_code) "
            "SELECT gen_random_uuid(), (ARRAY['water_level','air_quality','noise'])[1 + n % 3], "
            "'bench ' || n, g, code, parent_code "
            "FROM (SELECT row_number() OVER () AS n, p.geom AS g, w.code, w.parent_code FROM admin_units w, "
            "LATERAL ST_Dump(ST_GeneratePoints(w.boundary, $2, 7)) AS p WHERE w.level = 'ward') AS points "
            "WHERE n <= $1",
            devices,
            devices // wards + 1,
        )
        await connection.execute(
            "INSERT INTO device_state (device_id, seq, ts, metrics, online) "
            "SELECT id, 1, now(), jsonb_build_object(CASE type WHEN 'water_level' THEN 'level_cm' "
            "WHEN 'air_quality' THEN 'pm25' ELSE 'laeq_db' END, round((random() * 80)::numeric, 1)), "
            "random() > 0.05 FROM devices"
        )
        await connection.execute(
            "INSERT INTO users (id, role, display_name, username, language, is_active, unit_code, "
            "password_hash) VALUES ($1, 'officer', 'Cán bộ trực', $2, 'vi', true, '37', $3)",
            uuid.uuid4(),
            USERNAME,
            await hash_password(PASSWORD),
        )
        rows = await connection.fetch(
            "SELECT id, type, ward_code, ST_X(location) AS lon, ST_Y(location) AS lat FROM devices "
            "ORDER BY random() LIMIT 2000"
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def counters(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate("() => ({ ...window.__wall.stats })")
    return result


async def interactive(page: Page, base: str) -> dict[str, float]:
    await page.reload()
    await page.wait_for_function(
        "() => { const s = window.__wall.stats;"
        " return s.firstMapIdleAt !== null && s.firstLiveAt !== null && s.alarmsLoadedAt !== null; }",
        timeout=120_000,
    )
    stats = await counters(page)
    return {name: float(stats[name]) for name in ("firstMapIdleAt", "firstLiveAt", "alarmsLoadedAt")}


async def load(
    settings: Settings, sample: list[dict[str, Any]], rate: int, seconds: float, page: Page
) -> None:
    per_batch = max(1, round(rate * BATCH_SECONDS))
    batches = max(1, round(seconds / BATCH_SECONDS))
    before = int((await counters(page))["eventsApplied"])
    await page.evaluate(
        "() => { window.__frames = 0;"
        " const tick = () => { window.__frames += 1; requestAnimationFrame(tick); };"
        " requestAnimationFrame(tick); }"
    )
    connection = await asyncpg.connect(admin_dsn(settings))
    lags: list[float] = []
    sent = 0
    started = time.monotonic()
    next_sample = started
    try:
        statement = await connection.prepare(INSERT)
        for batch in range(batches):
            delay = started + batch * BATCH_SECONDS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            ids, units, data = [], [], []
            now = datetime.now(UTC).isoformat()
            for k in range(per_batch):
                device = sample[(batch * per_batch + k) % len(sample)]
                metric, top = METRICS[device["type"]]
                value = round(top * ((batch + k) % 10) / 10, 1)
                update = {
                    "id": str(device["id"]),
                    "type": device["type"],
                    "ts": now,
                    "seq": batch + 2,
                    "metrics": {metric: value},
                    "online": True,
                    "location": {"lat": device["lat"], "lon": device["lon"]},
                }
                ids.append(uuid.uuid4())
                units.append(device["ward_code"])
                data.append(json.dumps({"devices": [update]}))
            async with connection.transaction():
                await statement.fetch(ids, units, data)
                await connection.execute("SELECT pg_notify('smartcity_events', '')")
            sent += per_batch
            if time.monotonic() >= next_sample:
                lags.append(float((await counters(page))["lagMs"]))
                next_sample += 0.5
        elapsed = time.monotonic() - started
        frames = int(await page.evaluate("() => window.__frames"))
        deadline = time.monotonic() + 60
        applied = 0
        while time.monotonic() < deadline:
            stats = await counters(page)
            applied = int(stats["eventsApplied"]) - before
            if applied >= sent:
                break
            await asyncio.sleep(0.2)
        caught_up = time.monotonic() - started - elapsed
    finally:
        await connection.close()
    ordered = sorted(lags) or [float("nan")]
    print(
        f"live updates: {sent:,} devices.updated sent at {sent / elapsed:.0f}/s for {elapsed:.1f} s, "
        f"{applied:,} applied (lost {max(0, sent - applied)}), caught up {caught_up:.1f} s after the last; "
        f"delay event -> applied p50 {statistics.median(ordered):.0f} ms, "
        f"p99 {ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]:.0f} ms; "
        f"{frames / elapsed:.0f} frames/s"
    )


async def measure(
    settings: Settings, base: str, args: argparse.Namespace, sample: list[dict[str, Any]]
) -> None:
    async with async_playwright() as playwright:
        with tempfile.TemporaryDirectory(prefix="bench-wall-") as profile:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1920, "height": 1080},
            )
            try:
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(f"{base}/ioc")
                await page.fill("#username", USERNAME)
                await page.fill("#password", PASSWORD)
                await page.click("#signin")
                await page.wait_for_function(
                    "() => window.__wall.stats.socketState === 'live'", timeout=60_000
                )
                timings = await interactive(page, base)
                tti = max(timings.values())
                verdict = "met" if tti < TTI_TARGET_MS else "MISSED"
                print(
                    f"time to interactive with {args.devices:,} devices: {tti:.0f} ms "
                    f"(map idle {timings['firstMapIdleAt']:.0f} ms, live {timings['firstLiveAt']:.0f} ms, "
                    f"alarm list {timings['alarmsLoadedAt']:.0f} ms); target {TTI_TARGET_MS:.0f} ms {verdict}"
                )
                stats = await counters(page)
                print(f"layers with a TileJSON: {', '.join(stats['tileJsonLoaded']) or 'none'}")
                await load(settings, sample, args.rate, args.seconds, page)
            finally:
                await context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=100, help="devices.updated events a second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--database", default="smartcity_bench_wall", help="database to (re)create")
    parser.add_argument("--redis-url", default=None, help="Redis for the servers (default: the settings')")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    settings = bench_settings(args.database)
    if args.redis_url:
        settings = settings.model_copy(update={"redis_url": type(settings.redis_url)(args.redis_url)})
    stream = f"bench:wall:{uuid.uuid4().hex}"
    port = free_port()
    env = {
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": settings.redis_dsn,
        "SMARTCITY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SMARTCITY_EVENTS_STREAM": stream,
        "SMARTCITY_API_PORT": str(port),
        "SMARTCITY_LOG_LEVEL": "WARNING",
    }
    asyncio.run(recreate(settings))
    processes = []
    try:
        upgrade(settings.database_dsn)
        asyncio.run(import_units_file(settings, settings.demo_units_file))
        sample = asyncio.run(seed(settings, args.devices))
        processes.append(start([str(SMARTCITY), "serve"], env))
        processes.append(start([str(SMARTCITY), "worker", "--only", "relay"], env))
        wait_port(port)
        asyncio.run(measure(settings, f"http://127.0.0.1:{port}", args, sample))
    finally:
        for process in processes:
            stop(process)
        asyncio.run(_delete_stream(settings, stream))
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


async def _delete_stream(settings: Settings, stream: str) -> None:
    redis = Redis.from_url(settings.redis_dsn)
    try:
        await redis.delete(stream)
    finally:
        await redis.aclose()


if __name__ == "__main__":
    os.environ.setdefault("SMARTCITY_LOG_LEVEL", "WARNING")
    main()
