"""A fast QoS 1 MQTT 5 publisher: many devices' messages over one connection, in one thread.

Why this shape: paho's cost per message triples when another thread publishes into a `loop_start` client
(locks and wake-ups per message). Here the network loop runs in the calling thread and each PUBACK sends the
next message from `on_publish`, with at most `window` messages in flight; paho walks its whole in-flight
list on every ack, so the window stays small (≤ 100).

A PUBACK with reason 0x10 "no matching subscribers" on a non-retained message means the broker dropped it:
the backend was not listening at that moment (Mosquitto 2.0.11 does not restore shared subscriptions after
a restart until the consumers resubscribe). As the device contract requires, such a message is kept and
published again, byte for byte (same ts and seq), after a backoff; the backend stores it once.

`publish_all` drives one connection; `run_publishers` runs K of them in separate processes (one Python
process tops out around 15k msg/s) and sums their statistics.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.background.backoff import Backoff

Message = tuple[str, bytes]
MAX_WINDOW = 100
# The loop wakes at least this often to send messages whose paced time has come.
_PACE_TICK_SECONDS = 0.005
# After `stop_at`, how long to wait for the PUBACKs of the messages still in flight.
_DRAIN_SECONDS = 30.0
NO_MATCHING_SUBSCRIBERS = 0x10
# A message answered 0x10 waits this long before it is published again, doubled for each further 0x10 in a
# row: the backend's consumers usually resubscribe within seconds of a broker restart.
_RETRY_FIRST_SECONDS = 0.25
_RETRY_MAX_SECONDS = 2.0
# The shortest network-loop wait while a retry is due soon: below it the loop would spin.
_RETRY_TICK_SECONDS = 0.002


class PublishError(RuntimeError):
    """The connection could not be opened (refused credentials, unreachable broker)."""


@dataclass
class PublishStats:
    """What one or several connections published.

    `sent` counts distinct messages taken from the source; `retried` counts the copies published again after
    a 0x10 "no matching subscribers" answer on a non-retained message (not in `sent`). `acked` counts
    distinct messages the broker accepted (0x00, or 0x10 for a retained one, which the broker keeps);
    `failed` counts PUBACKs with a failure reason code (≥ 0x80, e.g. 0x87 not authorised). A message still
    in flight or waiting for its retry when publishing stopped is in neither: sent - acked - failed.
    """

    sent: int = 0
    acked: int = 0
    failed: int = 0
    retried: int = 0
    # PUBACK reason code -> count of answers, every retry's answer included.
    reasons: Counter[int] = field(default_factory=Counter)
    started_at: float = 0.0
    finished_at: float = 0.0
    reconnects: int = 0
    # Wall-clock send time of every message, in the order the source produced them (when recording).
    sent_at: array[float] | None = None

    @property
    def seconds(self) -> float:
        return max(self.finished_at - self.started_at, 1e-9)

    @property
    def rate(self) -> float:
        """Acknowledged messages per second."""
        return self.acked / self.seconds

    def merge(self, other: PublishStats) -> None:
        self.sent += other.sent
        self.acked += other.acked
        self.failed += other.failed
        self.retried += other.retried
        self.reasons.update(other.reasons)
        self.reconnects += other.reconnects
        self.started_at = min(self.started_at or other.started_at, other.started_at)
        self.finished_at = max(self.finished_at, other.finished_at)


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    username: str | None
    password: str | None
    client_id: str
    keepalive: int = 30


def _client(conn: Connection) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=conn.client_id, protocol=mqtt.MQTTv5)
    if conn.username is not None:
        client.username_pw_set(conn.username, conn.password)
    return client


def _connect(client: mqtt.Client, conn: Connection, timeout: float) -> None:
    """Connect and wait for CONNACK in this thread; raise PublishError when refused."""
    outcome: list[ReasonCode] = []

    def on_connect(c: mqtt.Client, u: Any, flags: Any, rc: ReasonCode, props: Properties | None) -> None:
        outcome.append(rc)

    client.on_connect = on_connect
    try:
        client.connect(conn.host, conn.port, keepalive=conn.keepalive, clean_start=True)
    except OSError as exc:
        raise PublishError(f"cannot reach {conn.host}:{conn.port}: {exc}") from exc
    deadline = time.monotonic() + timeout
    while not outcome and time.monotonic() < deadline:
        if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
            break
    if not outcome or outcome[0].is_failure:
        reason = str(outcome[0]) if outcome else "no CONNACK"
        raise PublishError(f"{conn.client_id}: connection refused: {reason}")


def publish_all(
    conn: Connection,
    messages: Iterable[Message],
    *,
    window: int = MAX_WINDOW,
    rate: float | None = None,
    record: bool = False,
    connect_timeout: float = 10.0,
    stop_at: float | None = None,
    stats: PublishStats | None = None,
) -> PublishStats:
    """Publish every message at QoS 1 and return when all are accepted or refused, or, once `stop_at` (a
    time.time()) has come, when those in flight are answered.

    `rate` paces sending to that many messages per second (None: as fast as the broker acknowledges).
    Lost connections are re-opened; paho resends unacknowledged messages, so a receiver may see a message
    twice (the contract's dedupe key makes that harmless).

    A non-retained message answered 0x10 is published again after a backoff (0.25 s, doubling per
    consecutive 0x10 for that message, at most 2 s) until the broker has a subscriber for it; while any
    waits, no new message is taken from the source, so a backend that is away costs one window per backoff
    rather than the whole source. Without `stop_at` this waits for the backend as long as it takes; at
    `stop_at` the messages waiting for a retry are given up and count as not acknowledged.

    `stats`, when given, is filled in place, so a caller running this in a thread can watch progress.
    """
    window = max(1, min(window, MAX_WINDOW))
    client = _client(conn)
    client.max_inflight_messages_set(window)
    client.reconnect_delay_set(1, 10)
    if stats is None:
        stats = PublishStats()
    if record and stats.sent_at is None:
        stats.sent_at = array("d")
    # The callbacks below need a name that is never None.
    out = stats
    source: Iterator[Message] = iter(messages)
    inflight = 0
    exhausted = False
    stopping = False
    stamps = out.sent_at
    wall = time.time
    publish = client.publish
    # mid -> message, for every message awaiting its PUBACK (paho keeps the mid across reconnects).
    pending: dict[int, Message] = {}
    # mid -> how many 0x10 answers in a row the message in flight under that mid has had; only retries.
    bounces: dict[int, int] = {}
    # (due time, order, bounces so far, message): the messages to publish again, soonest first.
    retries: list[tuple[float, int, int, Message]] = []
    order = itertools.count()

    def allowed() -> int:
        # How many more messages the pacing schedule allows now.
        if rate is None:
            return window
        due = int((wall() - out.started_at) * rate) + 1
        return due - out.sent

    def pump() -> None:
        nonlocal inflight, exhausted
        if stopping:
            return
        budget = window - inflight
        if retries:
            # Retries go first and are not paced: they were paced when first sent.
            now = wall()
            while budget > 0 and retries and retries[0][0] <= now:
                _, _, count, again = heapq.heappop(retries)
                mid = publish(again[0], again[1], qos=1).mid
                pending[mid] = again
                bounces[mid] = count
                out.retried += 1
                inflight += 1
                budget -= 1
            if retries:
                return
        budget = min(budget, allowed())
        while budget > 0 and not exhausted:
            item = next(source, None)
            if item is None:
                exhausted = True
                return
            if stamps is not None:
                stamps.append(wall())
            # The contract's status messages are retained; the rest are not.
            pending[publish(item[0], item[1], qos=1, retain=item[0].endswith("/status")).mid] = item
            out.sent += 1
            inflight += 1
            budget -= 1

    def on_publish(c: mqtt.Client, u: Any, mid: int, rc: ReasonCode, props: Properties | None) -> None:
        nonlocal inflight
        inflight -= 1
        code = rc.value
        out.reasons[code] += 1
        item = pending.pop(mid, None)
        count = bounces.pop(mid, 0) if bounces else 0
        if rc.is_failure:
            out.failed += 1
        elif code == NO_MATCHING_SUBSCRIBERS and item is not None and not item[0].endswith("/status"):
            # Nobody was subscribed, so the broker dropped it: keep it for later (a retained status is
            # kept by the broker itself).
            delay = min(_RETRY_FIRST_SECONDS * 2**count, _RETRY_MAX_SECONDS)
            heapq.heappush(retries, (wall() + delay, next(order), count + 1, item))
        else:
            out.acked += 1
        pump()

    _connect(client, conn, connect_timeout)
    client.on_publish = on_publish
    out.started_at = wall()
    tick = _PACE_TICK_SECONDS if rate is not None else 1.0
    try:
        while not (inflight <= 0 and (stopping or (exhausted and not retries))):
            if stop_at is not None and wall() >= stop_at:
                # Send nothing more (retries included), but wait (a little) for the acknowledgements of
                # what is in flight.
                exhausted = stopping = True
                if wall() >= stop_at + _DRAIN_SECONDS:
                    break
            pump()
            wait = tick
            if retries and not stopping and inflight < window:
                # Wake up when the next retry is due: no PUBACK may come to do it.
                wait = min(tick, max(retries[0][0] - wall(), _RETRY_TICK_SECONDS))
            if client.loop(wait) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                out.reconnects += 1
                _reconnect(client, stop_at)
    finally:
        out.finished_at = wall()
        client.disconnect()
    return out


def _reconnect(client: mqtt.Client, stop_at: float | None) -> None:
    # A publisher process is one thread of plain code: it sleeps between tries rather than awaiting.
    backoff = Backoff(0.5, 10.0)
    while stop_at is None or time.time() < stop_at:
        try:
            if client.reconnect() == MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
        except OSError:
            pass
        time.sleep(backoff.next())


# --- several processes -------------------------------------------------------------------------------

# A picklable recipe for one process's messages: a module-level function and its arguments.
SourceFactory = Callable[..., Iterable[Message]]


@dataclass(frozen=True)
class PublisherJob:
    conn: Connection
    source: SourceFactory
    args: tuple[Any, ...] = ()
    rate: float | None = None
    window: int = MAX_WINDOW
    record: bool = False
    stop_at: float | None = None
    # Publish for this long from the process's own start (a started process may take seconds to import).
    seconds: float | None = None


def run_job(job: PublisherJob) -> PublishStats:
    stop_at = job.stop_at if job.seconds is None else time.time() + job.seconds
    return publish_all(
        job.conn,
        job.source(*job.args),
        window=job.window,
        rate=job.rate,
        record=job.record,
        stop_at=stop_at,
    )


def run_publishers(jobs: Sequence[PublisherJob], *, method: str = "spawn") -> list[PublishStats]:
    """Run each job in its own process and return their statistics in job order (`total` sums them).
    Spawned by default, so no broker socket or database pool is inherited; `fork` starts faster from a
    parent that holds none."""
    if len(jobs) == 1:
        return [run_job(jobs[0])]
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(len(jobs)) as pool:
        return pool.map(run_job, jobs, chunksize=1)


def total(results: Iterable[PublishStats]) -> PublishStats:
    out = PublishStats()
    for one in results:
        out.merge(one)
    return out


def split(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    """Cut `items` into `parts` interleaved slices of near-equal size."""
    return [items[i::parts] for i in range(max(1, parts))]


def round_robin(
    payloads: Callable[[int, int], Message], devices: int, rounds: int | None
) -> Iterator[Message]:
    """`payloads(device_index, round)` for every device in turn, round after round (forever if None)."""
    for r in itertools.count() if rounds is None else range(rounds):
        for d in range(devices):
            yield payloads(d, r)
