"""Every benchmark runs once at a tiny size, so that none can stop working unnoticed.

Each is started as a person would start it (`.venv/bin/python bench/<name>.py`), with the smallest options it
takes and a database of its own named after the test database; the test checks that it exits 0, prints its
figures and drops its database. The figures themselves mean nothing at this size: they are measured, at full
size, by the benchmarks alone (docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from core.settings import PROJECT_ROOT
from tests.support import stack

# Far above what a smoke run takes (under a minute each on 2 busy cores), far below a hung run's cost.
TIMEOUT_SECONDS = 240.0
# After the deadline: SIGINT first, so the benchmark's own clean-up (servers, broker, database) runs.
GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class Smoke:
    name: str  # of the test case and of its database
    script: str
    options: tuple[str, ...]
    # Lines the run must print: its figures.
    figures: tuple[str, ...]
    # Takes --redis-url for the API servers it starts.
    redis_option: bool = False
    # What of the product it needs that may not be there yet ("module.attribute"): skipped without it.
    needs: tuple[str, ...] = ()
    # A run of many short phases, each starting processes of its own, may take longer than one minute.
    timeout: float = TIMEOUT_SECONDS


SMOKES = (
    Smoke(
        "units_locate",
        "units_locate",
        ("--queries", "100", "--rounds", "2", "--provinces", "2"),
        (
            r"^Demo province only",
            r"^National-size table \(\d+ wards",
            r"^National-size table, points anywhere",
            r"ratio locate/SELECT 1: p50 [\d.]+x, p99 [\d.]+x",
        ),
    ),
    Smoke(
        "ws",
        "ws",
        ("--clients", "8", "--client-procs", "1", "--rate", "100", "--seconds", "1"),
        (r"^api\s+\d+\s+\d+\s+\d+", r"^baseline\s+\d+\s+\d+\s+\d+", r"^api / baseline: p50 [\d.]+x"),
    ),
    Smoke(
        "citizen_reports",
        "citizen_reports",
        (
            *("--reports", "2000", "--runs", "20", "--seconds", "2"),
            *("--users", "4", "--concurrency", "4"),
        ),
        (
            r"^empty\s+map, city box",
            r"^2,000\s+duplicate search",
            r"^2,000 gc\.freeze\s+map, 1 km box",
            r"^submissions \(no photos\), 4 in flight for 2 s: \d+/s .* errors 0 ",
        ),
        redis_option=True,
    ),
    Smoke(
        "dossier_tracking",
        "dossier_tracking",
        (
            *("--dossiers", "2000", "--steps", "6000", "--seconds", "2"),
            *("--clients", "4", "--load-procs", "1", "--api-procs", "1", "--sync-clients", "2"),
            *("--rate", "40"),
        ),
        (
            r"^filled 2,000 dossiers in .* rows/s\) and [\d,]+ steps in .* rows/s\)",
            r"^lookup, 1 API process, 4 clients, as fast as answered, for 2 s: [\d,]+ req/s, .* errors 0 "
            r"\(429: 0, 503: 0,",
            r"^lookup, 1 API process, 4 clients, offered 40 req/s, for 2 s: [\d,]+ req/s, .* errors 0 "
            r"\(429: 0, 503: 0,",
            r"^lookup, 1 bare server, 4 clients, as fast as answered, for 2 s: [\d,]+ req/s, .* errors 0 "
            r"\(429: 0, 503: 0, .*; a baseline$",
            r"^lookup, 1 bare server without limits, 4 clients, offered 40 req/s, for 2 s: [\d,]+ req/s, "
            r".* errors 0 \(429: 0, 503: 0,",
            r"^baseline lookup query through asyncpg, 4 connections: [\d,]+ queries/s",
            r"^sync, 1 API process, 2 clients, .*: [\d,]+ updates/s applied .* errors 0, results "
            r"\{'created': 0, 'rejected': 0, 'stale': 0, 'unchanged': 0,",
            r"^baseline: [\d,]+ dossier_steps rows by one COPY in .* rows/s",
        ),
        redis_option=True,
    ),
    Smoke(
        "ingest",
        "ingest",
        (
            *("--duration", "2", "--devices", "40", "--rate", "400"),
            *("--consumers", "1", "--publishers", "1"),
        ),
        (
            r"^publishers: C \(bench/ingest_publisher\.c\); \d+ acknowledged",
            r"^ours: +[\d,]+ msg/s stored .* lost 0, duplicated 0",
            r"^baseline: +[\d,]+ msg/s received",
            r"^target 15,000 msg/s",
        ),
    ),
    Smoke(
        "ingest_python",
        "ingest",
        (
            *("--duration", "2", "--devices", "40", "--rate", "400"),
            *("--consumers", "1", "--publishers", "1", "--publisher", "python", "--no-baseline"),
        ),
        (
            r"^publishers: Python \(iot\.simulator\.publisher\); \d+ acknowledged",
            r"^ours: +[\d,]+ msg/s stored .* lost 0, duplicated 0",
            r"^target 15,000 msg/s",
        ),
    ),
    Smoke(
        "ioc_alerts",
        "ioc_alerts",
        (
            *("--devices", "60", "--rules", "20", "--duration", "2", "--rate", "300"),
            *(
                "--consumers",
                "1",
                "--publishers",
                "1",
                "--load-rate",
                "200",
                "--probes",
                "4",
                "--probe-rate",
                "4",
                "--pairs",
                "2",
            ),
        ),
        (
            r"^rules off: +[\d,]+ msg/s stored; .* lost 0, duplicated 0",
            r"^ rules on: +[\d,]+ msg/s stored; .* lost 0, duplicated 0",
            r"^pair 1: rules on / rules off [\d.]+ \(\d+ alarms",
            r"^pair 2: rules on / rules off [\d.]+ \(\d+ alarms",
            r"^rules on / rules off: median [\d.]+ of 2 \([\d.]+, [\d.]+\)",
            r"^publish -> alerts\.raised on the wall: 4 of 4; p50",
            r"^alarm commit -> dispatch offer at FCM: 4 of 4; p50",
        ),
    ),
    Smoke(
        "ioc_map",
        "ioc_map",
        (
            *("--reports", "2000", "--devices", "200", "--alarms", "40", "--incidents", "5"),
            *(
                "--field-staff",
                "10",
                "--seconds",
                "0.5",
                "--clients",
                "2",
                "--load-procs",
                "1",
                "--api-procs",
                "1",
            ),
        ),
        (
            r"^filled in [\d.]+ s: 2,000 reports in .* 200 devices .* 40 active alarms and 160 cleared",
            *(
                rf"^{group}, {role}, \d+ distinct requests: HTTP [\d,]+ req/s, .* errors 0 \(.*\); "
                r"bare query through asyncpg [\d,]+ queries/s, .* errors 0; HTTP/bare p50 [\d.]+x"
                for group in (
                    r"tiles z12-14 \(devices, reports, alarms, units\)",
                    r"tiles z8-10 \(devices, reports, alarms, units\)",
                    "hotspots z12-14",
                    "hotspots z8-10",
                    r"GeoJSON city box \(devices, reports, alarms\)",
                )
                for role in ("admin", "officer")
            ),
        ),
        redis_option=True,
        needs=("ioc.map.repository.tile_query", "ioc.map.repository.geojson_query"),
        # Ten groups, each an HTTP and a bare phase with a load process of its own.
        timeout=480.0,
    ),
    Smoke(
        "ioc_wall",
        "ioc_wall",
        ("--devices", "300", "--rate", "20", "--seconds", "2"),
        (
            r"^time to interactive with 300 devices: \d+ ms "
            r"\(map idle \d+ ms, live \d+ ms, alarm list \d+ ms\)",
            r"^live updates: 40 devices\.updated sent at \d+/s for [\d.]+ s, 40 applied \(lost 0\)",
        ),
        redis_option=True,
    ),
)


def not_there(needs: tuple[str, ...]) -> list[str]:
    """Those of `needs` ("module.attribute") that cannot be imported."""
    absent = []
    for need in needs:
        module, _, attribute = need.rpartition(".")
        try:
            found = hasattr(importlib.import_module(module), attribute)
        except ImportError:
            found = False
        if not found:
            absent.append(need)
    return absent


def database_for(name: str) -> str:
    """A database named after the test run's, so that runs sharing the servers do not meet."""
    return f"{urlsplit(stack.test_settings().database_dsn).path.strip('/')}_{name}"


def admin_dsn() -> str:
    url = urlsplit(stack.test_settings().database_dsn)._replace(path="/postgres")
    return urlunsplit(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def database_exists(name: str) -> bool:
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return bool(row and row[0])


def drop_database(name: str) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(command: list[str], env: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> tuple[int, str]:
    """Run a benchmark in a process group of its own, interrupted (then killed) with all it started if it
    outlives the deadline."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"bench/{command[1]} did not stop within {timeout:.0f} s:\n{output[-4000:]}")
    return process.returncode, output


@pytest.mark.parametrize("smoke", SMOKES, ids=[smoke.name for smoke in SMOKES])
def test_the_benchmark_runs_at_a_tiny_size(smoke: Smoke) -> None:
    absent = not_there(smoke.needs)
    if absent:
        pytest.skip(f"bench/{smoke.script}.py times {', '.join(absent)}, which this branch does not have yet")
    database = database_for(smoke.name)
    drop_database(database)
    redis_url = stack.test_settings().redis_dsn
    # The servers the benchmarks start use the test run's Redis database, not the developer's.
    env = {**os.environ, "SMARTCITY_REDIS_URL": redis_url}
    command = [sys.executable, f"bench/{smoke.script}.py", *smoke.options, "--database", database]
    if smoke.redis_option:
        command += ["--redis-url", redis_url]
    try:
        code, output = run(command, env, smoke.timeout)
        assert code == 0, f"bench/{smoke.script}.py exited with {code}:\n{output[-4000:]}"
        missing = [line for line in smoke.figures if not re.search(line, output, re.MULTILINE)]
        assert not missing, f"bench/{smoke.script}.py did not print {missing}:\n{output[-4000:]}"
        assert not database_exists(database), f"bench/{smoke.script}.py left its database {database}"
    finally:
        drop_database(database)


# The other modules of bench/: parts of a benchmark above, run only through it.
PARTS = {
    "dossier_bare_server": "dossier_tracking",
    "dossier_fill": "dossier_tracking",
    "dossier_load": "dossier_tracking",
    "dossier_parts": "dossier_tracking",
    "feedback_bench": "citizen_reports",
    "feedback_fill": "citizen_reports",
    "feedback_http": "citizen_reports",
    "feedback_load": "citizen_reports",
    "ingest_parts": "ingest",
    "ioc_map_fill": "ioc_map",
    "ioc_map_load": "ioc_map",
    "ioc_map_parts": "ioc_map",
    "ioc_map_sql": "ioc_map",
    "ioc_parts": "ioc_alerts",
    "ws_baseline": "ws",
    "ws_clients": "ws",
}


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {path.stem for path in (PROJECT_ROOT / "bench").glob("*.py")}
    smoked = {smoke.script for smoke in SMOKES}
    assert set(PARTS.values()) <= smoked
    assert scripts - set(PARTS) == smoked, "a new benchmark needs a smoke run here (or a place in PARTS)"
