"""Pieces of the ingestion benchmark (bench/ingest.py): a private broker, the consumers under test, the bare
paho baseline subscriber, the publishers' message source (in Python, and the C publisher that sends the same
messages for less CPU), and the measurements taken from the database."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import asyncpg
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.settings import PROJECT_ROOT, Settings
from iot.simulator.publisher import PublishStats

SMARTCITY = PROJECT_ROOT / ".venv" / "bin" / "smartcity"
TOPIC = "city/v1/devices/{}/telemetry"
BASELINE_GROUP = "bench-baseline"
CONSUMER_GROUP = "bench"
# The consumers' receive window: at least twice the batch, so receiving goes on during a commit.
RECEIVE_MAXIMUM = 5000


# --- the broker: the deployed configuration (scripts/services.sh renders deploy/mosquitto) on its own port --


@dataclass
class Broker:
    state_dir: Path
    port: int

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SMARTCITY_STATE_DIR": str(self.state_dir),
            "SMARTCITY_MQTT_PORT": str(self.port),
        }

    def start(self) -> None:
        # The broker drops to its own user, which must reach its folder.
        self.state_dir.chmod(0o755)
        subprocess.run(
            ["bash", str(PROJECT_ROOT / "scripts" / "services.sh"), "mosquitto-start"],
            env=self._env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(PROJECT_ROOT / "scripts" / "services.sh"), "mosquitto-stop"],
            env=self._env(),
            check=False,
            stdout=subprocess.DEVNULL,
        )


# --- what the publishers send ---------------------------------------------------------------------------


def bench_source(
    ids: list[str], first_round: int, rounds: int | None, base_seq: int
) -> Iterator[tuple[str, bytes]]:
    """Telemetry of every device in turn, round after round; message i of this source is device
    ids[i % len(ids)] with seq base_seq + first_round + i // len(ids). The timestamp is taken when the
    message is built, just before it is sent."""
    topics = [TOPIC.format(ident) for ident in ids]
    r = first_round
    while rounds is None or r < first_round + rounds:
        seq = base_seq + r
        for d, topic in enumerate(topics):
            now = datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
            pm25 = 20 + (d * 7 + r) % 60
            body = (
                f'{{"ts":"{now}","seq":{seq},"metrics":{{"pm25":{pm25}.5,"pm10":{pm25 * 1.6:.1f},'
                f'"temperature":27.5,"humidity":81.0}}}}'
            )
            yield topic, body.encode()
        r += 1


def sent_keys(
    ids: list[str], first_round: int, base_seq: int, stamps: array[float]
) -> Iterator[tuple[uuid.UUID, int, float]]:
    """(device, seq, sent time) of every message recorded by one publisher fed by bench_source."""
    uuids = [uuid.UUID(ident) for ident in ids]
    n = len(uuids)
    for i, stamp in enumerate(stamps):
        yield uuids[i % n], base_seq + first_round + i // n, stamp


# --- the same messages from C: bench/ingest_publisher.c ------------------------------------------------

PUBLISHER_SOURCE = Path(__file__).resolve().parent / "ingest_publisher.c"
PUBLISHER_PACKAGES = "gcc libmosquitto-dev"


def build_publisher(folder: Path) -> Path:
    """Compile the C publisher into `folder`, installing the compiler and libmosquitto's header from the OS
    packages first when they are missing (as scripts/bootstrap.sh does for the servers); exit with what to
    install where that is not possible."""
    binary = folder / "ingest_publisher"
    missing = f"install the Debian packages {PUBLISHER_PACKAGES}, or run with --publisher python"
    for attempt in (1, 2):
        compiler = shutil.which("cc")
        if compiler is not None:
            done = subprocess.run(
                [compiler, "-O2", "-o", str(binary), str(PUBLISHER_SOURCE), "-lmosquitto"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                return binary
            if "mosquitto.h" not in done.stderr and "-lmosquitto" not in done.stderr:
                raise SystemExit(f"building {PUBLISHER_SOURCE.name} failed:\n{done.stderr}")
        if attempt == 1 and not _install_publisher_packages():
            break
    raise SystemExit(f"cannot build {PUBLISHER_SOURCE.name} without a C compiler and libmosquitto: {missing}")


def _install_publisher_packages() -> bool:
    """apt-get install the publisher's build packages, as root or through sudo; False when neither works."""
    apt = shutil.which("apt-get")
    if apt is None:
        return False
    prefix: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and shutil.which("sudo") is None:
        return False
    print(f"installing {PUBLISHER_PACKAGES} to build {PUBLISHER_SOURCE.name}", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [apt, "update", "-q"],
        [apt, "install", "-y", "-q", "--no-install-recommends", *PUBLISHER_PACKAGES.split()],
    ):
        if subprocess.run([*prefix, *command], env=environment, check=False).returncode != 0:
            return False
    return True


@dataclass(frozen=True)
class CPublisherJob:
    host: str
    port: int
    username: str
    password: str
    client_id: str
    ids: list[str]
    first_round: int
    base_seq: int
    count: int | None  # messages; None: until `seconds`
    seconds: float | None
    rate: float | None  # msg/s of this publisher; None: flat out


def run_c_publishers(binary: Path, jobs: list[CPublisherJob], folder: Path) -> list[PublishStats]:
    """Run every job in its own process at once; their statistics in job order, with the send times."""
    running: list[tuple[subprocess.Popen[str], Path]] = []
    for k, job in enumerate(jobs):
        ids_file, stamps_file = folder / f"publisher-{k}.ids", folder / f"publisher-{k}.sent_at"
        ids_file.write_text("\n".join(job.ids) + "\n")
        command = [
            str(binary),
            "-h",
            job.host,
            "-p",
            str(job.port),
            "-u",
            job.username,
            "-i",
            job.client_id,
            "-f",
            str(ids_file),
            "-o",
            str(stamps_file),
            "-b",
            str(job.base_seq),
            "-R",
            str(job.first_round),
        ]
        if job.count is not None:
            command += ["-n", str(job.count)]
        if job.seconds is not None:
            command += ["-t", str(job.seconds)]
        if job.rate is not None:
            command += ["-r", str(job.rate)]
        # The password goes by the environment, not on the process list.
        env = {**os.environ, "INGEST_PUBLISHER_PASSWORD": job.password}
        running.append((subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True), stamps_file))
    results: list[PublishStats] = []
    for process, stamps_file in running:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{binary.name} exited with {process.returncode}")
        figures = json.loads(output.strip().splitlines()[-1])
        stamps = array("d")
        stamps.frombytes(stamps_file.read_bytes())
        results.append(
            PublishStats(
                sent=figures["sent"],
                acked=figures["acked"],
                failed=figures["failed"],
                retried=figures["retried"],
                reconnects=figures["reconnects"],
                started_at=figures["started_at"],
                finished_at=figures["finished_at"],
                sent_at=stamps,
            )
        )
    return results


# --- the consumers under test ---------------------------------------------------------------------------


@dataclass
class Consumer:
    client_id: str
    metrics_port: int
    process: subprocess.Popen[bytes]
    log: Path

    def metric(self, name: str) -> float:
        """A counter's value from the consumer's /metrics (0 when not yet there)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2) as answer:
                text = answer.read().decode()
        except OSError:
            return -1.0
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())


# The setting's maximum.
UNBOUNDED_DEVICE_BUDGET = 1_000_000


def start_consumer(
    settings: Settings,
    broker: Broker,
    index: int,
    metrics_port: int,
    logs: Path,
    extra_env: dict[str, str] | None = None,
) -> Consumer:
    """`smartcity ingest` as the benchmark's consumer `index`; `extra_env` adds or overrides settings."""
    client_id = f"bench-ingest-{index}"
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_MQTT_HOST": settings.mqtt_host,
        "SMARTCITY_MQTT_PORT": str(broker.port),
        "SMARTCITY_MQTT_PASSWORD": settings.mqtt_password.get_secret_value(),
        # Read back from 127.0.0.1 by Consumer.metric.
        "SMARTCITY_INGEST_METRICS_HOST": "127.0.0.1",
        "SMARTCITY_INGEST_METRICS_PORT": str(metrics_port),
        "SMARTCITY_INGEST_GROUP": CONSUMER_GROUP,
        "SMARTCITY_INGEST_CLIENT_ID": client_id,
        # A throughput run, not a test of the per-device budget: a small fleet sent flat out exceeds the
        # budget of a real device many times over, and what the budget sets aside would count as lost.
        "SMARTCITY_INGEST_DEVICE_MESSAGES_PER_MINUTE": str(UNBOUNDED_DEVICE_BUDGET),
        **(extra_env or {}),
    }
    log = logs / f"{client_id}.log"
    with log.open("wb") as out:
        command = [str(SMARTCITY), "ingest", "--client-id", client_id, "--group", CONSUMER_GROUP]
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Consumer(client_id, metrics_port, process, log)


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def stop_consumers(consumers: list[Consumer]) -> None:
    for consumer in consumers:
        if consumer.process.poll() is None:
            consumer.process.terminate()
    for consumer in consumers:
        try:
            consumer.process.wait(30)
        except subprocess.TimeoutExpired:
            consumer.process.kill()


# --- the baseline: a bare paho subscriber that only parses JSON ------------------------------------------


@dataclass
class BaselineResult:
    received: int = 0
    first: float = 0.0
    last: float = 0.0
    # Receive time minus the payload's timestamp, for one message in 50.
    delays: list[float] = field(default_factory=list)
    peak_rss_kib: int = 0


def baseline_subscriber(
    host: str,
    port: int,
    username: str,
    password: str,
    index: int,
    stop: EventType,
    ready: EventType,
    out: multiprocessing.Queue[BaselineResult],
) -> None:
    """One member of the baseline group: the same shared subscription, QoS 1 and manual acknowledgement as
    the consumer, each message acknowledged as soon as it is parsed."""
    result = BaselineResult()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"bench-baseline-{index}",
        protocol=mqtt.MQTTv5,
        manual_ack=True,
    )
    client.username_pw_set(username, password)
    loads = json.loads
    wall = time.time

    def on_connect(c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
        c.subscribe(f"$share/{BASELINE_GROUP}/city/v1/devices/+/telemetry", qos=1)

    def on_subscribe(c: mqtt.Client, u: Any, mid: int, rcs: Any, p: Any) -> None:
        ready.set()

    def on_message(c: mqtt.Client, u: Any, message: mqtt.MQTTMessage) -> None:
        body = loads(message.payload)
        now = wall()
        if not result.received:
            result.first = now
        result.received += 1
        result.last = now
        if result.received % 50 == 0:
            sent = datetime.fromisoformat(body["ts"]).timestamp()
            result.delays.append(now - sent)
        c.ack(message.mid, message.qos)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.ReceiveMaximum = RECEIVE_MAXIMUM
    client.connect(host, port, clean_start=True, properties=props)
    while not stop.is_set():
        client.loop(0.2)
    client.disconnect()
    result.peak_rss_kib = memory_kib(os.getpid())[1]
    out.put(result)


# --- measurements from the database ---------------------------------------------------------------------


@dataclass
class Stored:
    published: int
    stored: int
    lost: int
    duplicated: int
    p50_ms: float
    p99_ms: float
    sustained: float
    first_commit: float
    last_commit: float


async def count_readings(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM device_readings"))
    finally:
        await connection.close()


async def measure(dsn: str, keys: list[tuple[uuid.UUID, int, float]], window: tuple[float, float]) -> Stored:
    """Compare the published (device, seq) with the stored rows; delays are received_at (the start of the
    consumer's write transaction, just before its commit) minus the recorded send time."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("CREATE TEMP TABLE sent (device_id uuid, seq bigint, sent_at float8)")
        await connection.copy_records_to_table("sent", records=keys)
        await connection.execute("ANALYZE sent")
        row = await connection.fetchrow("""
            WITH matched AS (
                SELECT s.device_id, s.seq, s.sent_at, r.received_at
                FROM sent s LEFT JOIN device_readings r ON r.device_id = s.device_id AND r.seq = s.seq
            )
            SELECT count(*) FILTER (WHERE received_at IS NULL) AS lost,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY delay) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY delay) AS p99
            FROM (SELECT *, extract(epoch FROM received_at) - sent_at AS delay FROM matched) AS m
        """)
        totals = await connection.fetchrow(
            """
            SELECT count(*) AS stored, count(*) - count(DISTINCT (device_id, seq)) AS duplicated,
                   count(*) FILTER (WHERE received_at >= to_timestamp($1) AND received_at < to_timestamp($2))
                     AS in_window,
                   extract(epoch FROM min(received_at)) AS first, extract(epoch FROM max(received_at)) AS last
            FROM device_readings
        """,
            window[0],
            window[1],
        )
    finally:
        await connection.close()
    return Stored(
        published=len(keys),
        stored=int(totals["stored"]),
        lost=int(row["lost"]),
        duplicated=int(totals["duplicated"]),
        p50_ms=float(row["p50"] or 0) * 1000,
        p99_ms=float(row["p99"] or 0) * 1000,
        sustained=int(totals["in_window"]) / (window[1] - window[0]),
        first_commit=float(totals["first"] or 0),
        last_commit=float(totals["last"] or 0),
    )
