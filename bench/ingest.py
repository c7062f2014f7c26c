"""Benchmark of MQTT ingestion: simulated devices -> Mosquitto -> `smartcity ingest` -> PostgreSQL.

Everything it uses is its own and is removed at the end: a broker with the deployed configuration
(scripts/services.sh renders deploy/mosquitto) on a free port with its state in a temporary folder, a database
created and migrated for the run (dropped unless --keep), `smartcity ingest` processes in the group `bench`
with fixed client ids, and gateway publisher processes over the plugin-issued gateway account: by default
bench/ingest_publisher.c (libmosquitto, compiled at start; a fifth of the Python publisher's CPU per message,
which otherwise caps the figures on a small box), or iot.simulator.publisher with --publisher python; both
send the same messages. In the same run, the same publishers first feed the baseline: a bare paho subscriber
group of the same size that only parses the JSON and acknowledges each message.

Reported: messages per second stored (sustained over the publishing window), p50/p99 delay from publish to
commit, lost and duplicated counts (published (device, seq) against the stored rows), consumer memory.

Run: .venv/bin/python bench/ingest.py [--duration 60] [--devices 5000] [--consumers 2] [--publishers 2]
                                      [--rate MSG_PER_S] [--publisher c|python] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import secrets
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from feedback_bench import admin_dsn, bench_settings, recreate
from feedback_load import cpu_seconds, free_port
from ingest_parts import (
    BaselineResult,
    Broker,
    Consumer,
    CPublisherJob,
    Stored,
    baseline_subscriber,
    bench_source,
    build_publisher,
    count_readings,
    measure,
    memory_kib,
    run_c_publishers,
    sent_keys,
    start_consumer,
    stop_consumers,
)

from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from core.units.importer import import_units, read_document
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator import repository
from iot.simulator.publisher import (
    Connection,
    PublisherJob,
    PublishStats,
    run_publishers,
    split,
    total,
)
from iot.types import DeviceType
from migrations.runner import upgrade

GATEWAY = "smartcity-bench"
BASE_SEQ = 1_000_000
TARGET = 15_000.0


@dataclass
class Run:
    stats: PublishStats  # all publishers together
    window: tuple[float, float]  # time.time() of the start and of the stop
    parts: list[PublishStats]  # each publisher, with its send times
    cpu_seconds: float  # the publisher processes' CPU, start-up included


@dataclass(frozen=True)
class Publishers:
    kind: str  # "c" or "python"
    binary: Path | None  # the compiled C publisher
    folder: Path  # where the C publishers' device lists and send times go


async def prepare(settings: Settings, devices: int) -> list[str]:
    """The demo province and `devices` devices spread over the types and wards; their ids."""
    engine = create_engine(settings)
    ids: list[str] = []
    try:
        async with create_sessionmaker(engine)() as session:
            await import_units(session, read_document(settings.demo_units_file))
            await session.flush()
            kinds = list(DeviceType)
            places = await repository.spots(session, devices, seed=5)
            for k, kind in enumerate(kinds):
                mine = places[k :: len(kinds)]
                ids += [str(i) for i in await repository.insert_many(session, kind, 0, mine, "gateway")]
            await session.commit()
    finally:
        await engine.dispose()
    return ids


async def gateway_account(settings: Settings) -> str:
    password = secrets.token_urlsafe(24)
    admin = BrokerAdmin(settings)
    try:
        await admin.ensure_gateway(GATEWAY, password)
    finally:
        await admin.close()
    return password


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def publish(
    settings: Settings,
    password: str,
    parts: list[list[str]],
    first_round: int,
    *,
    rounds: int | None,
    seconds: float | None,
    rate: float | None,
    publishers: Publishers,
) -> Run:
    # The publishers are this process's children, waited for before this returns: their CPU shows here.
    cpu_before = children_cpu()
    if publishers.binary is not None:
        c_jobs = [
            CPublisherJob(
                settings.mqtt_host,
                settings.mqtt_port,
                GATEWAY,
                password,
                f"{GATEWAY}-{k}",
                part,
                first_round,
                BASE_SEQ,
                None if rounds is None else rounds * len(part),
                seconds,
                None if rate is None else rate / len(parts),
            )
            for k, part in enumerate(parts)
        ]
        results = run_c_publishers(publishers.binary, c_jobs, publishers.folder)
    else:
        results = run_python_publishers(
            settings, password, parts, first_round, rounds=rounds, seconds=seconds, rate=rate
        )
    cpu = children_cpu() - cpu_before
    merged = total(results)
    start = min(one.started_at for one in results)
    return Run(merged, (start, start + seconds if seconds is not None else merged.finished_at), results, cpu)


def run_python_publishers(
    settings: Settings,
    password: str,
    parts: list[list[str]],
    first_round: int,
    *,
    rounds: int | None,
    seconds: float | None,
    rate: float | None,
) -> list[PublishStats]:
    jobs = [
        PublisherJob(
            Connection(settings.mqtt_host, settings.mqtt_port, GATEWAY, password, f"{GATEWAY}-{k}"),
            bench_source,
            (part, first_round, rounds, BASE_SEQ),
            rate=None if rate is None else rate / len(parts),
            record=True,
            seconds=seconds,
        )
        for k, part in enumerate(parts)
    ]
    # Forked: this process holds no connection by now, and the publishers start together at once.
    return run_publishers(jobs, method="fork")


def keys_of(parts: list[list[str]], run: Run, first_round: int) -> list[tuple[uuid.UUID, int, float]]:
    out: list[tuple[uuid.UUID, int, float]] = []
    for part, stats in zip(parts, run.parts, strict=True):
        assert stats.sent_at is not None
        out += sent_keys(part, first_round, BASE_SEQ, stats.sent_at)
    return out


# --- baseline ---------------------------------------------------------------------------------------------


def run_baseline(
    settings: Settings,
    password: str,
    parts: list[list[str]],
    args: argparse.Namespace,
    publishers: Publishers,
) -> tuple[Run, list[BaselineResult]]:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    out: multiprocessing.Queue[BaselineResult] = ctx.Queue()
    readies = [ctx.Event() for _ in range(args.consumers)]
    members = [
        ctx.Process(
            target=baseline_subscriber,
            args=(
                settings.mqtt_host,
                settings.mqtt_port,
                settings.mqtt_username,
                settings.mqtt_password.get_secret_value(),
                k,
                stop,
                readies[k],
                out,
            ),
        )
        for k in range(args.consumers)
    ]
    for member in members:
        member.start()
    for ready in readies:
        if not ready.wait(30):
            raise RuntimeError("a baseline subscriber did not subscribe within 30 s")
    run = publish(
        settings,
        password,
        parts,
        0,
        rounds=None,
        seconds=args.duration,
        rate=args.rate,
        publishers=publishers,
    )
    # The broker may still hold a backlog for the subscribers: give them time to drain it.
    time.sleep(min(30.0, 2.0 + run.stats.sent / 20_000))
    stop.set()
    results = [out.get(timeout=60) for _ in members]
    for member in members:
        member.join(10)
    return run, results


# --- ours -------------------------------------------------------------------------------------------------


def wait_stored(dsn: str, expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    stored = asyncio.run(count_readings(dsn))
    last_change, previous = time.monotonic(), stored
    while stored < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = asyncio.run(count_readings(dsn))
        if stored != previous:
            last_change, previous = time.monotonic(), stored
        elif time.monotonic() - last_change > 20:
            break  # nothing moves any more: whatever is missing is lost
    return stored


def warm_up(
    settings: Settings,
    password: str,
    parts: list[list[str]],
    consumers: list[Consumer],
    publishers: Publishers,
) -> int:
    """Rounds of one message per device until every consumer has received some and all are stored (the
    group's subscriptions are then in place). Returns the rounds used."""
    dsn = admin_dsn(settings)
    for done in range(5):
        publish(settings, password, parts, done, rounds=1, seconds=None, rate=None, publishers=publishers)
        rounds = done + 1
        wait_stored(dsn, rounds * sum(len(part) for part in parts), 60)
        if all(consumer.metric("ingest_messages_received_total") > 0 for consumer in consumers):
            return rounds
    raise RuntimeError("some consumer received nothing during the warm-up; see its log")


def run_ours(
    settings: Settings,
    password: str,
    parts: list[list[str]],
    args: argparse.Namespace,
    broker: Broker,
    publishers: Publishers,
    consumer_env: dict[str, str] | None = None,
) -> tuple[Run, Stored, list[tuple[int, int]], list[float]]:
    logs = broker.state_dir
    consumers = [
        start_consumer(settings, broker, k, free_port(), logs, consumer_env) for k in range(args.consumers)
    ]
    try:
        deadline = time.monotonic() + 60
        while any(c.metric("ingest_messages_received_total") < 0 for c in consumers):
            if any(c.process.poll() is not None for c in consumers) or time.monotonic() > deadline:
                raise RuntimeError(f"a consumer did not start; see {logs}")
            time.sleep(0.3)
        first_round = warm_up(settings, password, parts, consumers, publishers)
        cpu_before = [cpu_seconds(c.process.pid) for c in consumers]
        run = publish(
            settings,
            password,
            parts,
            first_round,
            rounds=None,
            seconds=args.duration,
            rate=args.rate,
            publishers=publishers,
        )
        expected = first_round * sum(len(p) for p in parts) + run.stats.acked
        wait_stored(admin_dsn(settings), expected, 120)
        cpu = [cpu_seconds(c.process.pid) - before for c, before in zip(consumers, cpu_before, strict=True)]
        memory = [memory_kib(c.process.pid) for c in consumers]
    finally:
        stop_consumers(consumers)
    warm_keys: list[tuple[uuid.UUID, int, float]] = []
    for part in parts:
        ids = [uuid.UUID(ident) for ident in part]
        warm_keys += [(ident, BASE_SEQ + r, 0.0) for r in range(first_round) for ident in ids]
    keys = keys_of(parts, run, first_round)
    stored = asyncio.run(measure(admin_dsn(settings), keys, run.window))
    # The warm-up messages count for loss and duplicates, not for the delays and the rate.
    everything = asyncio.run(measure(admin_dsn(settings), warm_keys + keys, run.window))
    stored.lost, stored.duplicated, stored.stored = everything.lost, everything.duplicated, everything.stored
    stored.published = len(warm_keys) + len(keys)
    return run, stored, memory, cpu


# --- report -----------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def per_message_us(run: Run) -> float:
    return run.cpu_seconds * 1e6 / max(run.stats.sent, 1)


def report(
    args: argparse.Namespace,
    baseline: tuple[Run, list[BaselineResult]] | None,
    ours: tuple[Run, Stored, list[tuple[int, int]], list[float]],
) -> None:
    run, stored, memory, cpu = ours
    seconds = run.window[1] - run.window[0]
    print(
        f"\n{args.devices} devices, {args.publishers} publisher processes, {args.consumers} consumers, "
        f"QoS 1, {seconds:.0f} s window" + (f", offered {args.rate:.0f} msg/s" if args.rate else "")
    )
    kind = "C (bench/ingest_publisher.c)" if args.publisher == "c" else "Python (iot.simulator.publisher)"
    print(
        f"publishers: {kind}; {run.stats.acked} acknowledged ({run.stats.acked / seconds:,.0f} msg/s), "
        f"{run.stats.failed} refused, {run.stats.retried} retried, {run.stats.reconnects} reconnects; "
        f"CPU {per_message_us(run):.1f} µs per message"
    )
    print(
        f"ours:     {stored.sustained:>9,.0f} msg/s stored (sustained over the window); "
        f"p50 {stored.p50_ms:.0f} ms, p99 {stored.p99_ms:.0f} ms publish->commit; "
        f"lost {stored.lost}, duplicated {stored.duplicated} (of {stored.published} published, "
        f"{stored.stored} rows); drained {max(0.0, stored.last_commit - run.window[1]):.1f} s after the "
        f"publishers stopped"
    )
    for k, ((rss, peak), used) in enumerate(zip(memory, cpu, strict=True)):
        print(
            f"          consumer {k}: RSS {rss / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB), "
            f"CPU {used / seconds * 100:.0f}% of a core"
        )
    if baseline is not None:
        base_run, members = baseline
        received = sum(m.received for m in members)
        span = max(m.last for m in members) - min(m.first for m in members if m.received)
        rate = received / max(span, 1e-9)
        delays = [d for m in members for d in m.delays]
        print(
            f"baseline: {rate:>9,.0f} msg/s received ({received} of {base_run.stats.acked} acknowledged "
            f"to the publishers), p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, "
            f"peak RSS {max(m.peak_rss_kib for m in members) / 1024:.0f} MiB; "
            f"publishers' CPU {per_message_us(base_run):.1f} µs per message"
        )
        print(f"ours / baseline: {stored.sustained / rate:.2f}")
    met = stored.sustained >= TARGET and stored.lost == 0 and stored.duplicated == 0
    verdict = "meets" if met else "misses"
    print(f"target {TARGET:,.0f} msg/s, 0 lost, 0 duplicated: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of publishing (default 60)")
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=None, help="offered msg/s in total (default: flat out)")
    parser.add_argument(
        "--publisher",
        choices=("c", "python"),
        default="c",
        help="publisher processes: bench/ingest_publisher.c (default) or the Python one",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare paho baseline")
    parser.add_argument("--database", default="smartcity_bench_ingest")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="smartcity-bench-ingest-"))
    broker = Broker(state, free_port())
    # The private broker listens on the loopback only, whatever the settings name.
    settings = bench_settings(args.database).model_copy(
        update={"mqtt_host": "127.0.0.1", "mqtt_port": broker.port}
    )
    try:
        # Built before anything starts, so a missing compiler or header stops the run at once.
        binary = build_publisher(state) if args.publisher == "c" else None
        publishers = Publishers(args.publisher, binary, state)
        broker.start()
        asyncio.run(recreate(settings))
        upgrade(settings.database_dsn)
        ids = asyncio.run(prepare(settings, args.devices))
        password = asyncio.run(gateway_account(settings))
        parts = [list(p) for p in split(ids, args.publishers)]
        baseline = None if args.no_baseline else run_baseline(settings, password, parts, args, publishers)
        ours = run_ours(settings, password, parts, args, broker, publishers)
        report(args, baseline, ours)
    finally:
        broker.stop()
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
