"""Parts of the no-loss proofs: a private broker, `smartcity ingest` processes, a burst of telemetry, and
what the database holds afterwards.

Everything runs as real processes so that a consumer or the broker can be killed the hard way: the consumer
is `smartcity ingest` in a subprocess, the broker is started by scripts/services.sh with its own state folder
and port (its restarts and leftover sessions never reach anyone else), and the publishers are separate
processes from iot.simulator.publisher.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from core.settings import PROJECT_ROOT, Settings
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator.publisher import (
    Connection,
    Message,
    PublisherJob,
    PublishStats,
    publish_all,
    run_publishers,
    total,
)
from tests.iot.ingest.support import clear_session

SMARTCITY = PROJECT_ROOT / ".venv" / "bin" / "smartcity"
SERVICES = PROJECT_ROOT / "scripts" / "services.sh"
POLL_SECONDS = 0.2
NO_MATCHING_SUBSCRIBERS = 0x10
# A consumer finishes its batch and leaves on SIGTERM well within this.
STOP_WITHIN = 20.0
# Readings arrive by the thousand a second; this long without one means a consumer is stuck.
STALL_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], within: float) -> float:
    """Poll `check` until it holds; return the seconds it took, or fail with `what` at the deadline."""
    started = time.monotonic()
    deadline = started + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)
    return time.monotonic() - started


# --- the broker --------------------------------------------------------------------------------------


@dataclass
class Broker:
    """A Mosquitto of our own, configured exactly like the project's (deploy/mosquitto via services.sh)."""

    state_dir: Path
    port: int

    @classmethod
    def create(cls) -> Broker:
        # The broker drops to the mosquitto user, which must be able to walk down to its state folder.
        state = Path(tempfile.mkdtemp(prefix="noloss-broker-"))
        state.chmod(0o755)
        return cls(state_dir=state, port=free_port())

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SMARTCITY_STATE_DIR": str(self.state_dir),
            "SMARTCITY_MQTT_PORT": str(self.port),
        }

    def _services(self, action: str) -> None:
        done = subprocess.run(
            ["bash", str(SERVICES), action],
            cwd=PROJECT_ROOT,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert done.returncode == 0, f"services.sh {action}: {done.stdout}{done.stderr}\n{self.log_tail()}"

    def start(self) -> None:
        self._services("mosquitto-start")

    def stop(self) -> None:
        """SIGTERM, as services.sh's mosquitto-stop sends it (the broker saves its sessions and queued
        messages on exit), sent directly so that the stop happens at the moment the test chose."""
        pid = self.pid()
        assert pid is not None, "the broker is not running"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.running():
            assert time.monotonic() < deadline, f"the broker ignored SIGTERM for 30 s:\n{self.log_tail()}"
            time.sleep(0.05)

    def pid(self) -> int | None:
        try:
            return int((self.state_dir / "mosquitto" / "mosquitto.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def log_tail(self, lines: int = 30) -> str:
        path = self.state_dir / "logs" / "mosquitto.log"
        if not path.exists():
            return "(no broker log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def remove(self) -> None:
        if self.running():
            self._services("mosquitto-stop")
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def settings(self, base: Settings) -> Settings:
        return base.model_copy(
            update={
                "mqtt_host": "127.0.0.1",
                "mqtt_port": self.port,
                "mqtt_device_host": "127.0.0.1",
                "mqtt_device_port": self.port,
            }
        )


class Intruder:
    """One device's own credentials, used to subscribe where a device should not (the ingest group's shared
    subscription, `#`, other devices' topics); connected until closed, counting what the broker hands it."""

    def __init__(self, port: int, username: str, password: str, client_id: str | None = None) -> None:
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._connack: list[ReasonCode] = []
        self._pubacks: dict[int, int] = {}
        self.received = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or username, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(username, password)
        self.client.on_connect = lambda _c, _u, _f, reason, _p: self._connack.append(reason)
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_publish = lambda _c, _u, mid, reason, _p: self._pubacks.__setitem__(mid, reason.value)
        self.client.connect("127.0.0.1", port, keepalive=30, clean_start=True)
        self.client.loop_start()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        self._subacks[mid] = list(reasons)

    def _on_message(self, _c: Any, _u: Any, _message: mqtt.MQTTMessage) -> None:
        self.received += 1

    async def subscribe(self, *topics: str, within: float = 10) -> dict[str, int]:
        """Subscribe at QoS 1 to each topic; return each one's SUBACK reason code."""
        await wait_for("the intruder's CONNACK", holds(lambda: bool(self._connack)), within)
        assert not self._connack[0].is_failure, f"the device was refused: {self._connack[0]}"
        mids: dict[str, int] = {}
        for topic in topics:
            mid = self.client.subscribe(topic, qos=1)[1]
            assert mid is not None, f"{topic} was not sent"
            mids[topic] = mid
        await wait_for(
            "the intruder's SUBACKs", holds(lambda: all(m in self._subacks for m in mids.values())), within
        )
        return {topic: self._subacks[mid][0].value for topic, mid in mids.items()}

    async def publish(self, topic: str, payload: bytes, within: float = 10) -> int:
        """Publish at QoS 1; return the PUBACK's reason code."""
        info = self.client.publish(topic, payload, qos=1)
        await wait_for("a PUBACK", holds(lambda: info.mid in self._pubacks), within)
        return self._pubacks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# --- consumers ---------------------------------------------------------------------------------------


@dataclass
class Consumer:
    """One `smartcity ingest` process; restarting it keeps its client id, hence its broker session."""

    client_id: str
    group: str
    settings: Settings
    log_dir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    metrics_port: int = field(default_factory=free_port)

    def _env(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "SMARTCITY_DATABASE_URL": s.database_dsn,
            "SMARTCITY_REDIS_URL": s.redis_dsn,
            "SMARTCITY_MQTT_HOST": s.mqtt_host,
            "SMARTCITY_MQTT_PORT": str(s.mqtt_port),
            "SMARTCITY_MQTT_USERNAME": s.mqtt_username,
            "SMARTCITY_MQTT_PASSWORD": s.mqtt_password.get_secret_value(),
            "SMARTCITY_INGEST_METRICS_PORT": str(self.metrics_port),
            "SMARTCITY_MEDIA_ROOT": str(self.log_dir / "media"),
            "SMARTCITY_LOG_LEVEL": "INFO",
            "PYTHONFAULTHANDLER": "1",
        }

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.client_id}.log"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.client_id} is already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} of {self.client_id}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [str(SMARTCITY), "ingest", "--client-id", self.client_id, "--group", self.group],
                cwd=PROJECT_ROOT,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _connects(self) -> list[dict[str, Any]]:
        """The "mqtt connected" log records of the current run (the process logs JSON lines)."""
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(errors="replace").rsplit(f"--- start {self.starts} of", 1)[-1]
        records = []
        for line in text.splitlines():
            if '"mqtt connected"' in line:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def connected(self) -> bool:
        """Whether the current run has connected to the broker (its subscriptions are sent on connect)."""
        return bool(self._connects())

    def session_resumed(self) -> bool:
        """Whether the current run's latest connection found its broker session (and what it queued)."""
        connects = self._connects()
        return bool(connects) and connects[-1].get("session_present") is True

    async def received(self) -> int:
        """The current run's count of messages taken from the broker, from its /metrics."""
        async with httpx.AsyncClient(timeout=5) as client:
            page = (await client.get(f"http://127.0.0.1:{self.metrics_port}/metrics")).text
        for line in page.splitlines():
            if line.startswith("ingest_messages_received_total "):
                return int(float(line.split()[1]))
        raise AssertionError(f"no ingest_messages_received_total in the metrics of {self.client_id}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no chance to finish the batch, ack or disconnect."""
        assert self.process is not None
        assert self.alive(), f"{self.client_id} is not running:\n{self.log_tail()}"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM and wait; a consumer that does not stop within the deadline is killed (and that fails)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_WITHIN)
            except subprocess.TimeoutExpired:
                # SIGABRT makes the fault handler write every thread's stack to the log: where it hangs.
                self.process.send_signal(signal.SIGABRT)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
                raise AssertionError(
                    f"{self.client_id} ignored SIGTERM for {STOP_WITHIN:.0f} s; "
                    f"its threads:\n{self.log_tail(60)}"
                ) from None
        return self.process.returncode

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no consumer log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class ConsumerPool:
    """The consumers of one test, all in one group; stopped and their sessions cleared at the end."""

    settings: Settings
    log_dir: Path
    group: str = field(default_factory=lambda: f"noloss-{uuid.uuid4().hex[:8]}")
    members: list[Consumer] = field(default_factory=list)

    def add(self, name: str) -> Consumer:
        consumer = Consumer(f"{self.group}-{name}", self.group, self.settings, self.log_dir)
        self.members.append(consumer)
        return consumer

    def assert_alive(self) -> None:
        for consumer in self.members:
            assert consumer.alive(), f"{consumer.client_id} exited:\n{consumer.log_tail()}"

    def all_connected(self) -> bool:
        self.assert_alive()
        return all(consumer.connected() for consumer in self.members if consumer.process is not None)

    def close(self) -> None:
        for consumer in self.members:
            consumer.stop()
        for consumer in self.members:
            clear_session(self.settings, consumer.client_id)


# --- devices and messages ----------------------------------------------------------------------------


def telemetry(
    device_ids: Sequence[str], per_device: int, first_seq: int, base_epoch: float
) -> Iterator[Message]:
    """`per_device` telemetry messages for every device, device after device within each round.

    A message's ts follows from its seq, so a resent copy is byte for byte the original (the dedupe key is
    (device_id, ts, seq)).
    """
    base = datetime.fromtimestamp(base_epoch, UTC)
    for seq in range(first_seq, first_seq + per_device):
        moment = base + timedelta(milliseconds=10 * seq)
        ts = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for index, device in enumerate(device_ids):
            body = {
                "ts": ts,
                "seq": seq,
                "metrics": {"pm25": round(10 + (index + seq) % 90 * 0.5, 1), "pm10": float(20 + seq % 40)},
            }
            yield f"city/v1/devices/{device}/telemetry", json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Burst:
    """A set of messages split across publisher processes; `expected` is every (device, seq) published."""

    device_ids: tuple[str, ...]
    per_device: int
    first_seq: int = 0
    # Ten minutes ago: inside today's (or yesterday's) partition, far from the stale and future limits.
    base_epoch: float = field(default_factory=lambda: time.time() - 600)

    @property
    def size(self) -> int:
        return len(self.device_ids) * self.per_device

    @property
    def expected(self) -> set[tuple[str, int]]:
        seqs = range(self.first_seq, self.first_seq + self.per_device)
        return {(device, seq) for device in self.device_ids for seq in seqs}

    def jobs(self, gateway: Connection, publishers: int) -> list[PublisherJob]:
        slices = [self.device_ids[i::publishers] for i in range(publishers)]
        return [
            PublisherJob(
                conn=Connection(
                    gateway.host, gateway.port, gateway.username, gateway.password, f"{gateway.client_id}-{i}"
                ),
                source=telemetry,
                args=(part, self.per_device, self.first_seq, self.base_epoch),
            )
            for i, part in enumerate(slices)
        ]


def publish(burst: Burst, gateway: Connection, publishers: int = 2) -> PublishStats:
    """Publish the whole burst from `publishers` processes; return when every message has its PUBACK."""
    return total(run_publishers(burst.jobs(gateway, publishers)))


def assert_all_acked(stats: PublishStats, burst: Burst, *, unrouted: bool = False) -> None:
    """Every message accepted by the broker with a subscriber to give it to.

    A 0x10 "no matching subscribers" answer means the broker had nobody to give the message to and dropped
    it. Unless `unrouted` says the test makes that happen (a broker restarted before the consumers are back),
    none may come; where it may, every such answer must have been followed by publishing the message again,
    as the device contract asks.
    """
    assert stats.failed == 0, f"PUBACK failures: {dict(stats.reasons)}"
    assert stats.acked == burst.size, (
        f"{stats.acked} of {burst.size} messages accepted by the broker "
        f"(reason codes: {dict(stats.reasons)}, {stats.retried} published again)"
    )
    dropped = stats.reasons.get(NO_MATCHING_SUBSCRIBERS, 0)
    if unrouted:
        assert stats.retried == dropped, f"{dropped:,} answered 0x10 but {stats.retried:,} published again"
        return
    assert dropped == 0, (
        f"the broker answered {dropped:,} messages with 0x10 'no matching subscribers': "
        f"the group had no subscription then (reason codes: {dict(stats.reasons)})"
    )


# --- what was stored --------------------------------------------------------------------------------


@dataclass
class Run:
    """One test's view of the pipeline: the live database, the gateway, its consumers and a canary device.

    The canary's messages tell when the consumers are receiving; its rows are left out of every count.
    """

    db: asyncpg.Connection
    gateway: Connection
    pool: ConsumerPool
    canary: str
    canary_seq: int = 0
    publishing: asyncio.Task[PublishStats] | None = None

    async def publish(self, burst: Burst, *, unrouted: bool = False) -> PublishStats:
        """Publish the burst from two processes and check that the broker accepted every message (see
        assert_all_acked for `unrouted`)."""
        stats = await asyncio.to_thread(publish, burst, self.gateway)
        assert_all_acked(stats, burst, unrouted=unrouted)
        return stats

    def start_publishing(self, burst: Burst, *, unrouted: bool = False) -> None:
        """The same, in the background, while the test breaks something."""
        assert self.publishing is None
        self.publishing = asyncio.create_task(self.publish(burst, unrouted=unrouted))

    def start_watched_publishing(self, burst: Burst, give_up_after: float) -> PublishStats:
        """Publish the burst in the background from one thread of this process, whose statistics the test
        reads while it runs; 0x10 answers are expected (see assert_all_acked).

        The publisher gives up after `give_up_after` seconds: a thread cannot be cancelled, and one that
        waited for a consumer that never comes would keep the test process from exiting.
        """
        assert self.publishing is None
        stats = PublishStats()
        conn = Connection(
            self.gateway.host,
            self.gateway.port,
            self.gateway.username,
            self.gateway.password,
            f"{self.gateway.client_id}-watched",
        )
        source = telemetry(burst.device_ids, burst.per_device, burst.first_seq, burst.base_epoch)

        async def publishing() -> PublishStats:
            await asyncio.to_thread(
                publish_all, conn, source, stop_at=time.time() + give_up_after, stats=stats
            )
            assert_all_acked(stats, burst, unrouted=True)
            return stats

        self.publishing = asyncio.create_task(publishing())
        return stats

    def publishing_now(self) -> bool:
        return self.publishing is not None and not self.publishing.done()

    async def finish_publishing(self, within: float = 120) -> PublishStats:
        assert self.publishing is not None, "nothing is being published"
        task, self.publishing = self.publishing, None
        return await asyncio.wait_for(task, within)

    async def stored(self) -> int:
        return int(
            await self.db.fetchval(
                "SELECT count(*) FROM device_readings WHERE device_id <> $1::uuid", self.canary
            )
        )

    async def wait_ready(self, within: float = 60) -> float:
        """Wait until every running consumer has connected and a canary message sent now gets stored."""
        started = time.monotonic()
        await wait_for("the consumers to connect", holds(self.pool.all_connected), within)
        deadline = started + within
        while time.monotonic() < deadline:
            self.canary_seq += 1
            seq = self.canary_seq
            # Not accepted within the arrival window (nobody subscribed yet: it keeps coming back 0x10), it is
            # given up and the next round sends another.
            stats = await asyncio.to_thread(
                publish_all,
                self.gateway,
                telemetry([self.canary], 1, seq, time.time() - 600),
                stop_at=time.time() + 2,
            )
            assert stats.failed == 0, f"canary refused: {dict(stats.reasons)}"
            arrival = time.monotonic() + 2
            while time.monotonic() < arrival:
                if await self.db.fetchval(
                    "SELECT count(*) FROM device_readings WHERE device_id = $1::uuid AND seq = $2",
                    self.canary,
                    seq,
                ):
                    return time.monotonic() - started
                await asyncio.sleep(POLL_SECONDS)
        raise AssertionError(
            f"no canary stored within {within:.0f}s:\n" + "\n".join(c.log_tail(10) for c in self.pool.members)
        )

    async def wait_stored(self, count: int, within: float) -> float:
        """Poll until at least `count` readings are stored, failing early when a consumer died or when
        nothing was stored for STALL_SECONDS (a stuck consumer; stopping it then logs its threads)."""
        progress = {"rows": -1, "at": time.monotonic()}

        async def reached() -> bool:
            self.pool.assert_alive()
            rows = await self.stored()
            now = time.monotonic()
            if rows != progress["rows"]:
                progress.update(rows=rows, at=now)
            assert now - progress["at"] < STALL_SECONDS, (
                f"nothing stored for {STALL_SECONDS:.0f} s at {rows:,} of {count:,} rows"
            )
            return rows >= count

        return await wait_for(f"{count} stored readings", reached, within)

    async def assert_exactly_once(self, burst: Burst) -> None:
        """count = distinct = published, no dead letter, and the stored (device, seq) are the published."""
        total_rows, distinct = await self.db.fetchrow(
            "SELECT count(*), count(DISTINCT (device_id, seq)) FROM device_readings "
            "WHERE device_id <> $1::uuid",
            self.canary,
        )
        assert (total_rows, distinct) == (burst.size, burst.size), (
            f"{total_rows} rows, {distinct} distinct (device, seq), {burst.size} published"
        )
        letters = await self.db.fetch("SELECT reason, detail, topic FROM ingest_dead_letters LIMIT 5")
        assert not letters, f"dead letters, e.g. {[dict(row) for row in letters]}"
        rows = await self.db.fetch(
            "SELECT device_id::text AS d, seq FROM device_readings WHERE device_id <> $1::uuid", self.canary
        )
        stored = {(row["d"], int(row["seq"])) for row in rows}
        expected = burst.expected
        missing, extra = expected - stored, stored - expected
        assert not missing, f"{len(missing)} published but never stored, e.g. {sorted(missing)[:3]}"
        assert not extra, f"{len(extra)} stored but never published, e.g. {sorted(extra)[:3]}"


def holds(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    """A plain check in the form `wait_for` polls."""

    async def run() -> bool:
        return check()

    return run


def private_broker() -> Iterator[Broker]:
    """A broker of its own for a test module (the body of its module-scoped fixture): the shared one may
    hold retained statuses of devices other runs made, which a new consumer would receive."""
    broker = Broker.create()
    broker.start()
    try:
        yield broker
    finally:
        broker.remove()


async def gateway_on(broker: Broker, settings: Settings, name: str) -> Connection:
    """A gateway identity on `broker` allowed to publish for every device, as the simulator and the bench
    use."""
    password = secrets.token_urlsafe(24)
    admin = BrokerAdmin(broker.settings(settings))
    try:
        await admin.ensure_gateway(name, password)
    finally:
        await admin.close()
    return Connection("127.0.0.1", broker.port, name, password, name)
