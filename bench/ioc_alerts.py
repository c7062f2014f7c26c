"""Benchmark of the operations centre's alerting: ingestion with 1,000 rules, publish -> alarm event on the
wall, and alarm commit -> dispatch push handed to FCM.

Everything is its own and is removed at the end, as in bench/ingest.py (whose parts it uses): a private
broker, a database created and migrated for the run (dropped unless --keep), `smartcity ingest` consumers,
the C publishers over the gateway account. The fleet (--devices, spread over the demo province) gets
--rules rules of every kind (70% telemetry with thresholds, AND, OR and rates of change over what the
publishers send, so that some hold and some raise; cameras, silence and report surges a tenth each), each
scoped to a zone around a handful of devices, so that the rules are spread over the fleet.

1. Throughput, measured in the same run at the same offered rate: the consumers with the rules left out of
   ingestion (SMARTCITY_IOC_RULES_IN_INGEST=false, the baseline) and with them, in --pairs pairs of phases
   whose order alternates (off, on, then on, off, ...), so that a machine slowing or speeding up during the
   run weighs on both sides alike. Printed: what each phase stored per second, lost and duplicated, each
   pair's ratio and their median (target >= 0.9).
2. Latency, while the publishers offer --load-rate messages a second: the API (`smartcity serve`), the
   worker (relay, alerts, dispatch, push; FCM pointed at the tests' HTTP fake) and the consumers run; an
   admin's WebSocket subscribes to `alerts`; probe water-level devices (never written by the load) each
   publish one reading over the probe rule's threshold, --probe-rate a second. Printed: publish -> the
   alerts.raised event received (p50, p99; target p99 < 500 ms), and alarm commit -> first dispatch offer
   received by the FCM fake (target p99 < 1 s). The commit is bounded from below by the start of the
   raising transaction (the timeline entry's `at`), so that figure is an upper bound of the true delay.

Run: .venv/bin/python bench/ioc_alerts.py [--duration 60] [--rate 17000] [--rules 1000] [--devices 5000]
     [--load-rate 5000] [--probes 300] [--probe-rate 5] [--pairs 1] [--skip-throughput] [--skip-latency]
     [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

import asyncpg
from feedback_bench import admin_dsn, bench_settings, recreate
from feedback_load import free_port
from ingest import (
    GATEWAY,
    Publishers,
    gateway_account,
    percentile,
    prepare,
    publish,
    run_ours,
)
from ingest_parts import Broker, Consumer, build_publisher, start_consumer, stop_consumers
from ioc_parts import (
    Heard,
    TimedFcm,
    admin_user,
    commit_times,
    field_staff,
    listen,
    probe_devices,
    publish_probes,
    seed_rules,
    token,
)

from core.identity.principal import Role
from core.settings import PROJECT_ROOT, Settings
from migrations.runner import upgrade

SMARTCITY = Path(sys.executable).parent / "smartcity"
RATIO_TARGET = 0.9
RAISED_P99_TARGET_MS = 500.0
DISPATCH_P99_TARGET_MS = 1000.0
# Tables a throughput phase fills, emptied before the next so both phases start alike.
PHASE_TABLES = (
    "device_readings, device_state, ingest_dead_letters, alert_rule_states, alert_device_stamps, "
    "alarm_timeline, alarms, event_outbox, notifications"
)


async def empty_phase_tables(settings: Settings) -> None:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        await connection.execute(f"TRUNCATE {PHASE_TABLES} CASCADE")
    finally:
        await connection.close()


RULES_OFF: Final[tuple[str, dict[str, str]]] = ("rules off", {"SMARTCITY_IOC_RULES_IN_INGEST": "false"})
RULES_ON: Final[tuple[str, dict[str, str]]] = ("rules on", {})


def throughput(
    settings: Settings, password: str, parts: list[list[str]], args: argparse.Namespace, broker: Broker
) -> None:
    publishers = Publishers("c", build_publisher(broker.state_dir), broker.state_dir)
    ratios: list[float] = []
    for pair in range(args.pairs):
        order = (RULES_OFF, RULES_ON) if pair % 2 == 0 else (RULES_ON, RULES_OFF)
        stored: dict[str, float] = {}
        alarms = 0
        for name, env in order:
            asyncio.run(empty_phase_tables(settings))
            run, figures, _, cpu = run_ours(settings, password, parts, args, broker, publishers, env)
            seconds = run.window[1] - run.window[0]
            stored[name] = figures.sustained
            if name == RULES_ON[0]:
                alarms = asyncio.run(_count(settings, "SELECT count(*) FROM alarms"))
            print(
                f"{name:>9}: {figures.sustained:>9,.0f} msg/s stored; p50 {figures.p50_ms:.0f} ms, p99 "
                f"{figures.p99_ms:.0f} ms publish->commit; lost {figures.lost}, duplicated "
                f"{figures.duplicated}; consumers {sum(cpu) / seconds * 100:.0f}% of a core in total",
                flush=True,
            )
        ratio = stored[RULES_ON[0]] / max(stored[RULES_OFF[0]], 1e-9)
        ratios.append(ratio)
        print(f"pair {pair + 1}: rules on / rules off {ratio:.2f} ({alarms} alarms raised with the rules on)")
    median = statistics.median(ratios)
    verdict = "meets" if median >= RATIO_TARGET else "misses"
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"rules on / rules off: median {median:.2f} of {len(ratios)} ({listed}); target >= 0.9: {verdict}")


async def _count(settings: Settings, sql: str) -> int:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        return int(await connection.fetchval(sql))
    finally:
        await connection.close()


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=out, stderr=out)


def _wait_http(port: int, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the API on port {port} did not start")


def latency(
    settings: Settings, password: str, parts: list[list[str]], args: argparse.Namespace, broker: Broker
) -> None:
    asyncio.run(empty_phase_tables(settings))
    state = broker.state_dir
    fake = TimedFcm()
    fake.start()
    credentials = fake.write_service_account(state / "fcm.json")
    port = free_port()
    env = {
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SMARTCITY_MQTT_HOST": settings.mqtt_host,
        "SMARTCITY_MQTT_PORT": str(broker.port),
        "SMARTCITY_EVENTS_STREAM": f"bench:ioc:{os.getpid()}",
        "SMARTCITY_FCM_CREDENTIALS_FILE": str(credentials),
        "SMARTCITY_FCM_ENDPOINT": fake.url,
        "SMARTCITY_LOG_LEVEL": "WARNING",
    }
    probes = asyncio.run(probe_devices(settings, args.probes))
    consumers: list[Consumer] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            _start(
                [str(SMARTCITY), "serve", "--host", "127.0.0.1", "--port", str(port)], env, state / "api.log"
            )
        )
        _wait_http(port)
        staff = asyncio.run(field_staff(settings, f"http://127.0.0.1:{port}", probes, per_ward=4))
        processes.append(
            _start(
                [
                    str(SMARTCITY),
                    "worker",
                    *(f"--only={loop}" for loop in ("relay", "alerts", "dispatch", "push")),
                ],
                env,
                state / "worker.log",
            )
        )
        consumers = [
            start_consumer(settings, broker, k, free_port(), state, {"SMARTCITY_LOG_LEVEL": "WARNING"})
            for k in range(args.consumers)
        ]
        _wait_consumers(consumers, state)
        admin = asyncio.run(_admin(settings))
        heard = Heard()
        publishers = Publishers("c", build_publisher(state), state)
        load_seconds = args.probes / args.probe_rate + 10
        results: dict[str, Any] = {}

        def load() -> None:
            results["run"] = publish(
                settings,
                password,
                parts,
                1,
                rounds=None,
                seconds=load_seconds,
                rate=args.load_rate,
                publishers=publishers,
            )

        async def measure() -> dict[str, float]:
            stop, ready = asyncio.Event(), asyncio.Event()
            listener = asyncio.create_task(
                listen(
                    f"ws://127.0.0.1:{port}/ws", token(settings, admin, Role.ADMIN, None), heard, stop, ready
                )
            )
            await asyncio.wait_for(ready.wait(), 30)
            loader = threading.Thread(target=load, name="load")
            loader.start()
            await asyncio.sleep(5)  # the load running at its rate before the first probe
            sent = await asyncio.to_thread(
                publish_probes, settings, GATEWAY, password, probes, args.probe_rate
            )
            heard.expect(len(sent))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.complete.wait(), 30)
            await asyncio.to_thread(loader.join)
            stop.set()
            await listener
            return sent

        sent = asyncio.run(measure())
        time.sleep(3)  # the last offers on their way to the fake
        offers = fake.first_offer()
        committed = asyncio.run(commit_times(settings, list(heard.alarms)))
    finally:
        stop_consumers(consumers)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        fake.stop()
    run = results.get("run")
    offered = f"{run.stats.acked / load_seconds:,.0f} msg/s acknowledged" if run else "no load figures"
    raised = [(heard.raised[d] - sent[d]) * 1000 for d in sent if d in heard.raised]
    dispatched = [(offers[a] - committed[a]) * 1000 for a in heard.alarms if a in offers and a in committed]
    print(f"\nload: {args.load_rate:,.0f} msg/s offered ({offered}); {len(sent)} probes, {staff} field staff")
    _line("publish -> alerts.raised on the wall", raised, len(sent), RAISED_P99_TARGET_MS)
    _line("alarm commit -> dispatch offer at FCM", dispatched, len(heard.alarms), DISPATCH_P99_TARGET_MS)


def _wait_consumers(consumers: list[Consumer], logs: Path, seconds: float = 60) -> None:
    """Until every consumer answers on its metrics port (subscribed, rules loaded)."""
    deadline = time.monotonic() + seconds
    while any(c.metric("ingest_messages_received_total") < 0 for c in consumers):
        if any(c.process.poll() is not None for c in consumers) or time.monotonic() > deadline:
            raise SystemExit(f"a consumer did not start; see {logs}")
        time.sleep(0.3)


async def _admin(settings: Settings) -> Any:
    connection = await asyncpg.connect(admin_dsn(settings))
    try:
        return await admin_user(connection)
    finally:
        await connection.close()


def _line(what: str, delays: list[float], expected: int, target: float) -> None:
    if not delays:
        print(f"{what}: nothing measured (of {expected})")
        return
    p99 = percentile(delays, 0.99)
    verdict = "meets" if p99 < target and len(delays) == expected else "misses"
    print(
        f"{what}: {len(delays)} of {expected}; p50 {statistics.median(delays):.0f} ms, p99 {p99:.0f} ms, "
        f"max {max(delays):.0f} ms; target p99 < {target:.0f} ms: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each throughput phase")
    parser.add_argument("--rate", type=float, default=17000.0, help="offered msg/s of the throughput phases")
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--load-rate", type=float, default=5000.0, help="offered msg/s while timing alarms")
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--probe-rate", type=float, default=5.0, help="probe readings per second")
    parser.add_argument("--pairs", type=int, default=1, help="pairs of throughput phases (alternating)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--database", default="smartcity_bench_ioc")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")

    state = Path(tempfile.mkdtemp(prefix="smartcity-bench-ioc-"))
    broker = Broker(state, free_port())
    settings = bench_settings(args.database).model_copy(
        update={"mqtt_host": "127.0.0.1", "mqtt_port": broker.port}
    )
    try:
        broker.start()
        asyncio.run(recreate(settings))
        upgrade(settings.database_dsn)
        ids = asyncio.run(prepare(settings, args.devices))
        asyncio.run(seed_rules(settings, args.rules))
        password = asyncio.run(gateway_account(settings))
        parts = [ids[k :: args.publishers] for k in range(args.publishers)]
        print(
            f"{args.devices} devices, {args.rules} rules (+1 probe rule), {args.consumers} consumers, "
            f"{args.publishers} C publishers; throughput phases of {args.duration:.0f} s at "
            f"{args.rate:,.0f} msg/s offered",
            flush=True,
        )
        if not args.skip_throughput:
            throughput(settings, password, parts, args, broker)
        if not args.skip_latency:
            latency(settings, password, parts, args, broker)
    finally:
        broker.stop()
        if not args.keep:
            asyncio.run(recreate(settings, drop_only=True))
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
