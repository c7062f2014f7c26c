"""`smartcity ingest` (which installs the rules) killed with SIGKILL in the middle of a stream and started
again: every reading stored once, and each device's alarm exists once and counted each reading once, because
an alarm commits with its readings or not at all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from iot.simulator.publisher import Connection
from tests.ioc.rules.live.support import LiveRules, every_reading
from tests.iot.ingest.no_loss_support import (
    Broker,
    Burst,
    ConsumerPool,
    Run,
    gateway_on,
    private_broker,
    wait_for,
)
from tests.iot.ingest.support import LiveDb

DEVICES = 100
PER_DEVICE = 60
BREAK_AT = 1500
WITHIN = 180.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    # Away from retained statuses other runs may have left on the shared broker.
    yield from private_broker()


@pytest.fixture(scope="module")
async def gateway(broker: Broker, settings: Settings) -> Connection:
    return await gateway_on(broker, settings, "rules-kill-gateway")


@pytest.fixture
async def run(
    live_settings: Settings, live_db: LiveDb, broker: Broker, gateway: Connection, tmp_path: Path
) -> AsyncIterator[Run]:
    pool = ConsumerPool(broker.settings(live_settings), tmp_path)
    run = Run(live_db.connection, gateway, pool, canary=(await live_db.add_devices(1, "noise"))[0])
    try:
        yield run
    finally:
        if run.publishing is not None:
            await run.finish_publishing()
        pool.close()


async def test_a_consumer_killed_mid_stream_leaves_each_alarm_exactly_once(
    run: Run, live_db: LiveDb, live_rules: LiveRules
) -> None:
    burst = Burst(tuple(await live_db.add_devices(DEVICES)), PER_DEVICE)
    rule_id = await live_rules.add(every_reading("air_quality", "pm25"))
    consumer = run.pool.add("0")
    consumer.start()
    await run.wait_ready()
    run.start_publishing(burst)
    await run.wait_stored(BREAK_AT, WITHIN)
    consumer.kill()
    at_kill = await run.stored()
    assert at_kill < burst.size, "the stream was over before the kill: it proves nothing"
    consumer.start()
    await run.finish_publishing()
    await run.wait_stored(burst.size, WITHIN)
    await run.assert_exactly_once(burst)

    async def all_counted() -> bool:
        return await live_rules.counted(rule_id) >= burst.size

    started = time.monotonic()
    await wait_for("every reading counted", all_counted, WITHIN)
    alarms = await live_rules.alarms(rule_id)
    assert sorted(a["source_key"] for a in alarms) == sorted(burst.device_ids)
    assert {a["count"] for a in alarms} == {PER_DEVICE}, "a reading counted twice or not at all"
    assert set((await live_rules.entries(rule_id, "raised")).values()) == {1}
    assert set((await live_rules.events(rule_id, "alerts.raised")).values()) == {1}
    print(
        f"\n[rules] {at_kill:,} readings stored at the kill; counted {time.monotonic() - started:.1f}s later"
    )
