"""Benchmark of the live channel: commit-to-receipt delay with many WebSocket clients and a steady event rate.

Creates a database (`smartcity_bench_ws` unless --database; dropped at the end unless --keep), migrates it
and loads the demo province. Then, for each of two servers in turn, the same run:

- the server: the real API (`smartcity serve`, one process) or, as the baseline, bench/ws_baseline.py, a bare
  `websockets` server fed by XREAD from the same kind of stream and broadcasting each event to the clients of
  its (topic, ward);
- the relay worker (`python -m core.events.relay`);
- the clients (bench/ws_clients.py) in --client-procs processes: officers of the eight demo wards, each
  subscribed to one topic (client i listens to group i mod 32 of 4 topics x 8 wards), so that each event goes
  to 1/32 of them, plus --walls admins that take every event;
- the load, from this process: every 10 ms one transaction of outbox rows (and the relay's NOTIFY), at --rate
  events per second for --seconds; each event names its batch, whose commit time is recorded when COMMIT
  returns, so the delay measured is exactly commit -> receipt by the client.

Prints, per server, the delay percentiles over all deliveries, deliveries and losses, the server process's
memory (VmRSS, VmHWM from /proc) and the CPU used by each part and by the whole machine during the load.

Run: .venv/bin/python bench/ws.py [--clients 500] [--walls 0] [--rate 1000] [--seconds 30] [--client-procs 2]
     [--no-compression] [--skip-baseline] [--database smartcity_bench_ws] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from redis.asyncio import Redis
from ws_clients import DATABASE, GROUPS, SECRET, WARD_CODES_VARIABLE, WARDS, bench_settings, group_of

from core.events.repository import RELAY_LOCK_KEY
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units_file
from migrations.runner import upgrade

BENCH = Path(__file__).resolve().parent
TYPES = {
    "feedback": "feedback.created",
    "alerts": "alerts.raised",
    "devices": "devices.reading",
    "dossiers": "dossiers.updated",
}
BATCH_SECONDS = 0.010
INSERT = """
INSERT INTO event_outbox (event_id, type, topic, occurred_at, unit_code, location, subject_id, data)
SELECT id, type, split_part(type, '.', 1), now(), unit, ST_SetSRID(ST_MakePoint(lon, lat), 4326), NULL, data
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::jsonb[])
    AS e(id, type, unit, lon, lat, data)
"""
TICKS = os.sysconf("SC_CLK_TCK")


def asyncpg_dsn(settings: Settings) -> str:
    return settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# -- Setup ---------------------------------------------------------------------------------------------------


async def recreate(settings: Settings, *, drop_only: bool = False) -> None:
    url = urlsplit(asyncpg_dsn(settings))
    connection = await asyncpg.connect(urlunsplit(url._replace(path="/postgres")))
    try:
        name = url.path.lstrip("/")
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def ward_points(settings: Settings) -> list[tuple[str, float, float]]:
    connection = await asyncpg.connect(asyncpg_dsn(settings))
    try:
        rows = await connection.fetch(
            "SELECT code, ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM admin_units "
            "WHERE level = 'ward' ORDER BY code LIMIT $1",
            WARDS,
        )
    finally:
        await connection.close()
    assert len(rows) == WARDS, "the demo province has eight wards"
    return [(row["code"], row["lon"], row["lat"]) for row in rows]


# -- Load ----------------------------------------------------------------------------------------------------


@dataclass
class Load:
    commit_times: array[float] = field(default_factory=lambda: array("d"))
    per_group: list[int] = field(default_factory=lambda: [0] * GROUPS)
    events: int = 0
    seconds: float = 0.0


async def generate(
    settings: Settings,
    wards: list[tuple[str, float, float]],
    rate: int,
    seconds: float,
    server_pid: int,
    samples: list[int],
) -> Load:
    per_batch = max(1, round(rate * BATCH_SECONDS))
    batches = round(seconds / BATCH_SECONDS)
    load = Load()
    connection = await asyncpg.connect(asyncpg_dsn(settings))
    statement = await connection.prepare(INSERT)
    started = time.monotonic()
    next_sample = started
    try:
        for batch in range(batches):
            delay = started + batch * BATCH_SECONDS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() >= next_sample:
                samples.append(memory_kib(server_pid)["VmRSS"])
                next_sample += 1.0
            columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
            for k in range(per_batch):
                sequence = batch * per_batch + k
                topic, ward = group_of(sequence)
                code, lon, lat = wards[ward]
                load.per_group[sequence % GROUPS] += 1
                for column, value in zip(
                    columns,
                    (uuid.uuid4(), TYPES[topic], code, lon, lat, json.dumps({"b": batch, "s": sequence})),
                    strict=True,
                ):
                    column.append(value)
            async with connection.transaction():
                await statement.fetch(*columns)
                await connection.execute("SELECT pg_notify('smartcity_events', '')")
            load.commit_times.append(time.time())
            load.events += per_batch
    finally:
        load.seconds = time.monotonic() - started
        await connection.close()
    return load


async def wait_relay_active(settings: Settings, seconds: float = 60) -> None:
    """Until the relay holds its lock: starting the load before would measure the relay's start-up."""
    connection = await asyncpg.connect(asyncpg_dsn(settings))
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1",
                RELAY_LOCK_KEY,
            ):
                return
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    raise SystemExit(f"the relay did not become active in {seconds}s")


async def wait_relayed(settings: Settings, seconds: float = 120) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(settings))
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not await connection.fetchval("SELECT count(*) FROM event_outbox WHERE relayed_at IS NULL"):
                return
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


# -- The run -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    delays_ms: list[float]
    deliveries: int = 0
    expected: int = 0
    lost: int = 0
    duplicates: int = 0
    rate: float = 0.0
    memory: dict[str, int] = field(default_factory=dict)  # KiB: idle, connected, max during load, peak
    cpu: dict[str, float] = field(default_factory=dict)  # share of one CPU during the load, per part

    def percentile(self, share: float) -> float:
        ordered = sorted(self.delays_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def start(command: list[str], env: dict[str, str], **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, text=True, **options)


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds}s")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_phase(
    name: str,
    settings: Settings,
    wards: list[tuple[str, float, float]],
    args: argparse.Namespace,
    workdir: Path,
) -> Result:
    stream = f"bench:events:{uuid.uuid4().hex}"
    port = free_port()
    env = {
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_EVENTS_STREAM": stream,
        "SMARTCITY_SECRET_KEY": SECRET,
        "SMARTCITY_LOG_LEVEL": "WARNING",
        WARD_CODES_VARIABLE: json.dumps([code for code, _, _ in wards]),
    }
    relay = start([sys.executable, "-m", "core.events.relay"], env)
    if name == "api":
        smartcity = str(Path(sys.executable).parent / "smartcity")
        server = start([smartcity, "serve", "--host", "127.0.0.1", "--port", str(port)], env)
    else:
        baseline = [sys.executable, str(BENCH / "ws_baseline.py"), "--port", str(port), "--stream", stream]
        server = start(baseline, env)
    clients: list[subprocess.Popen[str]] = []
    result = Result(name, [])
    try:
        wait_port(port)
        asyncio.run(wait_relay_active(settings))
        result.memory["idle"] = memory_kib(server.pid)["VmRSS"]
        share = -(-args.clients // args.client_procs)
        for first in range(0, args.clients, share):
            command = [
                sys.executable,
                str(BENCH / "ws_clients.py"),
                "--url",
                f"ws://127.0.0.1:{port}/ws",
                "--first",
                str(first),
                "--count",
                str(min(share, args.clients - first)),
                "--walls",
                str(args.walls),
                "--out",
                str(workdir / f"{name}-{first}"),
            ]
            clients.append(
                start(
                    command + ([] if args.compression else ["--no-compression"]), env, stdout=subprocess.PIPE
                )
            )
        for client in clients:
            assert client.stdout is not None
            if client.stdout.readline().strip() != "ready":
                raise SystemExit("a client process failed to connect")
        result.memory["connected"] = memory_kib(server.pid)["VmRSS"]
        parts = {
            "server": [server.pid],
            "relay": [relay.pid],
            "clients": [c.pid for c in clients],
            "load": [os.getpid()],
        }
        before = {part: sum(cpu_seconds(pid) for pid in pids) for part, pids in parts.items()}
        machine_before = machine_ticks()
        samples: list[int] = []
        load = asyncio.run(generate(settings, wards, args.rate, args.seconds, server.pid, samples))
        asyncio.run(wait_relayed(settings))
        time.sleep(2)  # deliveries in flight after the last relay
        busy, total = (now - then for now, then in zip(machine_ticks(), machine_before, strict=True))
        result.cpu = {
            part: (sum(cpu_seconds(pid) for pid in pids) - before[part]) / load.seconds
            for part, pids in parts.items()
        }
        result.cpu["machine"] = busy / max(total, 1) * (os.cpu_count() or 1)
        result.memory["max"] = max(samples, default=0)
        result.memory["peak"] = memory_kib(server.pid)["VmHWM"]
        for client in clients:
            stop(client)
    finally:
        for process in (*clients, server, relay):
            if process.poll() is None:
                stop(process)
        asyncio.run(_delete_stream(settings, stream))
    _count(result, args, workdir, load)
    return result


async def _delete_stream(settings: Settings, stream: str) -> None:
    redis = Redis.from_url(settings.redis_dsn)
    await redis.delete(stream)
    await redis.aclose()


def _count(result: Result, args: argparse.Namespace, workdir: Path, load: Load) -> None:
    result.rate = load.events / load.seconds
    for summary_path in sorted(workdir.glob(f"{result.name}-*.json")):
        summary = json.loads(summary_path.read_text())
        batches, times = array("q"), array("d")
        batches.frombytes(summary_path.with_suffix(".batches").read_bytes())
        times.frombytes(summary_path.with_suffix(".times").read_bytes())
        result.delays_ms += [
            (at - load.commit_times[batch]) * 1000 for batch, at in zip(batches, times, strict=True)
        ]
        for offset, (got, distinct) in enumerate(zip(summary["received"], summary["unique"], strict=True)):
            index = summary["first"] + offset
            wanted = load.events if index < args.walls else load.per_group[index % GROUPS]
            result.expected += wanted
            result.deliveries += got
            result.lost += max(0, wanted - distinct)
            result.duplicates += got - distinct


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\n{args.clients} clients ({args.walls} walls), {args.rate} events/s for {args.seconds:.0f} s, "
        f"compression {'on' if args.compression else 'off'}, {os.cpu_count()} CPUs"
    )
    print(
        f"{'server':<9}{'events/s':>9}{'deliveries':>11}{'expected':>10}{'lost':>6}{'dup':>5}"
        f"{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    )
    for r in results:
        print(
            f"{r.name:<9}{r.rate:>9.0f}{r.deliveries:>11}{r.expected:>10}{r.lost:>6}{r.duplicates:>5}"
            f"{r.percentile(0.5):>8.1f}{r.percentile(0.9):>8.1f}{r.percentile(0.99):>8.1f}"
            f"{max(r.delays_ms, default=float('nan')):>8.1f}"
        )
    print(
        f"{'server':<9}{'RSS idle':>9}{'connected':>10}{'max load':>9}{'peak':>7}   CPU (1.0 = one core): "
        "server, relay, clients, load, whole machine"
    )
    for r in results:
        mib = {key: value / 1024 for key, value in r.memory.items()}
        print(
            f"{r.name:<9}{mib['idle']:>8.0f}M{mib['connected']:>9.0f}M{mib['max']:>8.0f}M{mib['peak']:>6.0f}M"
            f"   {r.cpu['server']:.2f}, {r.cpu['relay']:.2f}, {r.cpu['clients']:.2f}, {r.cpu['load']:.2f}, "
            f"{r.cpu['machine']:.2f}"
        )
    if len(results) == 2 and results[1].delays_ms:
        api, base = results
        print(
            f"api / baseline: p50 {api.percentile(0.5) / base.percentile(0.5):.1f}x, "
            f"p99 {api.percentile(0.99) / base.percentile(0.99):.1f}x, "
            f"mean {statistics.fmean(api.delays_ms) / statistics.fmean(base.delays_ms):.1f}x, "
            f"server CPU {api.cpu['server'] / base.cpu['server']:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--walls", type=int, default=0, help="admin clients taking every event")
    parser.add_argument("--rate", type=int, default=1000, help="events written per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument(
        "--no-compression",
        dest="compression",
        action="store_false",
        help="clients do not offer permessage-deflate",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="database to (re)create")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    settings = bench_settings(args.database)
    asyncio.run(recreate(settings))
    try:
        upgrade(settings.database_dsn)
        asyncio.run(import_units_file(settings, settings.demo_units_file))
        wards = asyncio.run(ward_points(settings))
        results = []
        with tempfile.TemporaryDirectory(prefix="bench-ws-") as workdir:
            for name in ("api",) if args.skip_baseline else ("api", "baseline"):
                results.append(run_phase(name, settings, wards, args, Path(workdir)))
        report(results, args)
    finally:
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))


if __name__ == "__main__":
    main()
