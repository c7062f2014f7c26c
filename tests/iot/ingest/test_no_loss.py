"""No message lost, proven on the real broker and database.

Each test publishes a burst of QoS 1 telemetry (100,000 messages from 1,000 devices over two publisher
processes; smaller where the size adds nothing), every message acknowledged by the broker with a subscriber
to give it to, into `smartcity ingest` processes of one shared-subscription group; breaks something in the
middle; and then finds every published (device, seq) stored exactly once and no dead letter. The break comes
when a given number of rows is stored, never after a given time.

Mosquitto 2.0.11 does not restore shared subscriptions after a restart: until a consumer is back, the broker
answers 0x10 "no matching subscribers" and drops the message. The device contract has the device keep such
a message and publish it again later; the publishers do, and the tests that restart the broker under
publishing devices check that every 0x10 was followed by a retry.

What is broken: nothing; a device subscribing to the group's shared subscription while devices publish; the
consumer (kill -9, restarted with the same client id); one of two consumers of
the group (kill -9, restarted); the broker (SIGTERM and start, as a graceful restart or an upgrade does):
while messages wait in the consumer's session, while devices publish, and with devices publishing again
before the consumer is back; the consumer's database connections (pg_terminate_backend); and the consumer
is down while the burst is published.

A broker killed with SIGKILL is not among them: Mosquitto keeps queued messages in a snapshot written every
`autosave_interval` (5 s in deploy/mosquitto) and on a clean exit, with no journal, so a hard kill loses the
messages it accepted since the last snapshot that no consumer had acknowledged yet: up to one autosave
window. Only a graceful restart can be lossless.

The broker is a private one started by scripts/services.sh with the production configuration, so restarting
it and the sessions left by killed consumers never reach anything else.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator.publisher import Connection
from tests.iot.ingest.no_loss_support import (
    NO_MATCHING_SUBSCRIBERS,
    Broker,
    Burst,
    ConsumerPool,
    Intruder,
    Run,
    gateway_on,
    holds,
    private_broker,
    wait_for,
)
from tests.iot.ingest.support import LiveDb

DEVICES = 1000
PER_DEVICE = 100  # 100,000 messages a burst
# Where the middle of a burst is: this many rows stored.
BREAK_AT = 20_000
# Generous: the machine is shared; a healthy run needs a fraction of it.
STORE_WITHIN = 180.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    yield from private_broker()


@pytest.fixture(scope="module")
async def gateway(broker: Broker, settings: Settings) -> Connection:
    """A gateway identity allowed to publish for every device, as the simulator and the bench use."""
    return await gateway_on(broker, settings, "noloss-gateway")


@pytest.fixture
async def run(
    live_settings: Settings, live_db: LiveDb, broker: Broker, gateway: Connection, tmp_path: Path
) -> AsyncIterator[Run]:
    """The test's consumers and publishers; afterwards the consumers are stopped and their sessions cleared
    (then `live_db` empties the tables)."""
    db = live_db.connection
    pool = ConsumerPool(broker.settings(live_settings), tmp_path)
    run = Run(db, gateway, pool, canary=(await live_db.add_devices(1))[0])
    try:
        yield run
    finally:
        if not broker.running():
            broker.start()
        if run.publishing is not None:
            await run.finish_publishing()
        pool.close()


@pytest.fixture
async def burst(run: Run, live_db: LiveDb) -> Burst:
    return Burst(tuple(await live_db.add_devices(DEVICES)), PER_DEVICE)


def report(name: str, burst: Burst, **seconds: float) -> None:
    figures = ", ".join(f"{key} {value:.1f}s" for key, value in seconds.items())
    print(f"\n[no-loss] {name}: {burst.size:,} messages; {figures}")


async def test_a_burst_is_stored_exactly_once(run: Run, burst: Burst) -> None:
    run.pool.add("0").start()
    ready = await run.wait_ready()
    started = time.monotonic()
    stats = await run.publish(burst)
    published = time.monotonic() - started
    stored = await run.wait_stored(burst.size, STORE_WITHIN) + published
    await run.assert_exactly_once(burst)
    run.pool.assert_alive()
    report("burst", burst, ready=ready, published=published, stored=stored)
    print(f"[no-loss] publishers {stats.rate:,.0f} msg/s, stored {burst.size / stored:,.0f} msg/s")


async def test_a_consumer_killed_mid_burst_and_restarted_loses_nothing(run: Run, burst: Burst) -> None:
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    started = time.monotonic()
    run.start_publishing(burst)
    await run.wait_stored(BREAK_AT, STORE_WITHIN)
    consumer.kill()
    at_kill = await run.stored()
    killed_after = time.monotonic() - started
    assert at_kill < burst.size, "the burst was over before the kill: it proves nothing"
    consumer.start()
    await run.finish_publishing()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    # The restarted process found its session again (and with it the messages it had not acknowledged).
    assert consumer.session_resumed(), consumer.log_tail()
    report("consumer kill -9", burst, killed_after=killed_after, total=time.monotonic() - started)
    print(f"[no-loss] {at_kill:,} stored at the kill")


async def test_one_of_two_consumers_killed_and_restarted_loses_nothing(run: Run, burst: Burst) -> None:
    first, second = run.pool.add("a"), run.pool.add("b")
    first.start()
    second.start()
    await run.wait_ready()
    started = time.monotonic()
    run.start_publishing(burst)
    await run.wait_stored(BREAK_AT, STORE_WITHIN)
    # Both members were taking their share when one of them dies.
    shares = (await first.received(), await second.received())
    assert min(shares) > 0, f"one consumer received nothing: {shares}"
    second.kill()
    at_kill = await run.stored()
    assert at_kill < burst.size, "the burst was over before the kill: it proves nothing"
    second.start()
    await run.finish_publishing()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    assert first.alive()
    report("one of two consumers kill -9", burst, total=time.monotonic() - started)
    print(f"[no-loss] received before the kill: {shares}; {at_kill:,} stored at the kill")


async def test_a_broker_restart_while_messages_wait_loses_nothing(
    run: Run, live_db: LiveDb, broker: Broker
) -> None:
    """A consumer's queued share survives a graceful broker restart; the consumer reconnects by itself."""
    burst = Burst(tuple(await live_db.add_devices(500)), per_device=100)
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    assert consumer.stop() == 0, consumer.log_tail()
    started = time.monotonic()
    await run.publish(burst)
    consumer.start()
    await run.wait_stored(BREAK_AT // 2, STORE_WITHIN)
    broker.stop()
    at_stop = await run.stored()
    assert at_stop < burst.size, "everything was stored before the restart: it proves nothing"
    broker.start()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    assert consumer.alive()
    assert consumer.session_resumed(), consumer.log_tail()
    report("broker SIGTERM + start, messages queued", burst, total=time.monotonic() - started)
    print(f"[no-loss] {at_stop:,} stored at the stop")


async def test_a_broker_restart_while_devices_publish_loses_nothing(
    run: Run, burst: Burst, broker: Broker
) -> None:
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    started = time.monotonic()
    # The publishers may reconnect to the restarted broker before the consumer has resubscribed: their
    # messages come back 0x10 then, and are published again.
    run.start_publishing(burst, unrouted=True)
    await run.wait_stored(BREAK_AT, STORE_WITHIN)
    broker.stop()
    at_stop = await run.stored()
    assert run.publishing_now(), "the burst was published before the restart: it proves nothing"
    broker.start()
    restarted = time.monotonic() - started
    stats = await run.finish_publishing()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    # The consumer reconnected by itself, and found its session in the restored broker.
    assert consumer.alive()
    assert consumer.session_resumed(), consumer.log_tail()
    report(
        "broker SIGTERM + start, devices publishing",
        burst,
        restarted_after=restarted,
        total=time.monotonic() - started,
    )
    print(
        f"[no-loss] {at_stop:,} stored at the stop; publisher reconnects {stats.reconnects}, "
        f"published again after 0x10: {stats.retried:,}"
    )


async def test_messages_sent_after_a_broker_restart_wait_for_the_consumer(
    run: Run, live_db: LiveDb, broker: Broker
) -> None:
    """Devices back before the consumers after a broker restart: the broker answers 0x10 and drops their
    messages (it does not restore the group's subscription until a consumer resubscribes), so the devices
    keep them and publish them again until the consumer is back."""
    burst = Burst(tuple(await live_db.add_devices(200)), per_device=100)
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    assert consumer.stop() == 0, consumer.log_tail()
    broker.stop()
    broker.start()
    started = time.monotonic()
    stats = run.start_watched_publishing(burst, give_up_after=STORE_WITHIN)
    bounced = await wait_for(
        "the broker to answer 0x10 with the consumer away",
        holds(lambda: stats.reasons[NO_MATCHING_SUBSCRIBERS] > 0 or stats.retried > 0),
        60,
    )
    assert run.publishing_now(), "the burst was over before the consumer came back: it proves nothing"
    assert stats.acked == 0, f"{stats.acked} accepted with no subscriber: {dict(stats.reasons)}"
    consumer.start()
    published = await run.finish_publishing(within=STORE_WITHIN + 60)
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    # Every message was accepted once the consumer was back (finish_publishing checks it), after retries.
    assert published.acked == burst.size
    assert published.retried > 0, dict(published.reasons)
    assert consumer.session_resumed(), consumer.log_tail()
    report(
        "published after a broker restart, consumer away",
        burst,
        first_0x10=bounced,
        total=time.monotonic() - started,
    )
    print(f"[no-loss] answers {dict(published.reasons)}; published again {published.retried:,}")


async def test_messages_sent_while_the_consumer_is_down_arrive_when_it_returns(
    run: Run, live_db: LiveDb
) -> None:
    burst = Burst(tuple(await live_db.add_devices(200)), per_device=100)
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    # A clean stop keeps the session: the group keeps queueing this member's share for its return.
    assert consumer.stop() == 0, consumer.log_tail()
    started = time.monotonic()
    await run.publish(burst)
    assert await run.stored() == 0
    consumer.start()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    assert consumer.session_resumed(), consumer.log_tail()
    report("consumer down during the burst", burst, total=time.monotonic() - started)


async def test_database_connections_cut_mid_burst_lose_nothing(run: Run, live_db: LiveDb) -> None:
    burst = Burst(tuple(await live_db.add_devices(300)), per_device=100)
    before = {
        row["pid"]
        for row in await run.db.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    }
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    started = time.monotonic()
    run.start_publishing(burst)
    await run.wait_stored(BREAK_AT // 2, STORE_WITHIN)
    cut = await run.db.fetchval(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT pid = ANY($1::int[])",
        list(before),
    )
    at_cut = await run.stored()
    assert cut >= 1, "the consumer had no database connection to cut"
    assert at_cut < burst.size, "the burst was over before the cut: it proves nothing"
    await run.finish_publishing()
    await run.wait_stored(burst.size, STORE_WITHIN)
    await run.assert_exactly_once(burst)
    # It waited for the database and carried on: no crash, no restart.
    assert consumer.alive()
    assert consumer.starts == 1
    report("database connections terminated", burst, total=time.monotonic() - started)
    print(f"[no-loss] {cut} connection(s) cut with {at_cut:,} stored")


NOT_AUTHORIZED = 0x87


async def test_a_device_subscribing_to_the_group_takes_no_share(
    run: Run, live_db: LiveDb, broker: Broker, live_settings: Settings
) -> None:
    """A device's credentials ask for the consumers' shared subscription (and `#`, and another device's
    topics) while the fleet publishes: had the broker granted it, the device would be a member of the group,
    handed part of its messages, and the broker would drop them at the device's read check."""
    burst = Burst(tuple(await live_db.add_devices(200)), per_device=100)
    device, password = str(uuid.uuid4()), secrets.token_urlsafe(24)
    admin = BrokerAdmin(broker.settings(live_settings))
    try:
        await admin.create_device_client(device, password)
    finally:
        await admin.close()
    run.pool.add("0").start()
    await run.wait_ready()
    started = time.monotonic()
    run.start_publishing(burst)
    intruder = Intruder(broker.port, device, password)
    try:
        group = run.pool.group
        granted = await intruder.subscribe(
            f"$share/{group}/city/v1/devices/+/telemetry",
            f"$share/{group}/city/v1/devices/+/event",
            f"$share/{group}/city/v1/devices/+/status",
            "#",
            f"city/v1/devices/{burst.device_ids[0]}/telemetry",
        )
        assert granted == dict.fromkeys(granted, NOT_AUTHORIZED)
        assert run.publishing_now(), "the burst was over before the subscriptions: it proves nothing"
        await run.finish_publishing()
        await run.wait_stored(burst.size, STORE_WITHIN)
    finally:
        intruder.close()
    await run.assert_exactly_once(burst)
    assert intruder.received == 0
    report("a device subscribing to the group", burst, total=time.monotonic() - started)
