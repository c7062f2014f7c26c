"""A device's budget in the consumer, against the real broker and database: a flooding device gets at most
its messages and its dead letters a window, the rest acknowledged and counted; the other devices' messages
are all stored, without waiting behind the flood."""

from __future__ import annotations

from itertools import zip_longest

from iot.simulator.publisher import Connection
from tests.iot.ingest.conftest import ConsumerFactory
from tests.iot.ingest.support import LiveDb, Message, publish, raw, telemetry, wait_until

MESSAGES_PER_MINUTE = 300
DEAD_LETTERS_PER_MINUTE = 5
# A burst may straddle two of the budget's one-minute windows, never more in a test this short.
WINDOWS = 2


async def test_a_flooding_device_is_held_to_its_budget_and_the_others_lose_nothing(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection
) -> None:
    flooder = await live_db.add_device()
    quiet = await live_db.add_devices(20)
    flood: list[Message] = []
    for seq in range(3000):
        flood.append(telemetry(flooder, seq))
        if seq % 3 == 0:
            flood.append(raw(flooder, "telemetry", b"{not json"))
    others = [telemetry(device, seq) for seq in range(10) for device in quiet]
    # The quiet devices' messages are spread through the flood, so they arrive while it is at its height.
    step = len(flood) // len(others)
    messages = [
        message
        for chunk, other in zip_longest(
            (flood[i : i + step] for i in range(0, len(flood), step)), others, fillvalue=None
        )
        for message in [*(chunk or []), *([other] if other else [])]
    ]
    assert len(messages) == len(flood) + len(others)
    async with consumer(
        ingest_device_messages_per_minute=MESSAGES_PER_MINUTE,
        ingest_device_dead_letters_per_minute=DEAD_LETTERS_PER_MINUTE,
    ) as running:
        await publish(gateway, messages)
        # Every message of the others is stored, within a deadline that does not grow with the flood.
        await wait_until(
            "the quiet devices' readings", lambda: _readings_are(live_db, quiet, len(others)), within=30
        )
        await wait_until(
            "every message received",
            lambda: running.metrics.received._value.get() >= len(messages),
            within=60,
            task=running.task,
        )
        throttled = running.metrics.throttled._value.get()
        dropped = sum(
            sample.value
            for metric in running.metrics.dead_letters_dropped.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    readings = await live_db.readings([flooder])
    letters = len(await live_db.dead([flooder]))
    assert 0 < readings + letters <= MESSAGES_PER_MINUTE * WINDOWS
    assert 0 < letters <= DEAD_LETTERS_PER_MINUTE * WINDOWS
    # Nothing vanishes uncounted: each of the flooder's messages was stored, set aside, or counted.
    assert readings + letters + throttled + dropped == len(flood)
    assert throttled >= len(flood) - MESSAGES_PER_MINUTE * WINDOWS
    assert await live_db.readings(quiet) == len(others)
    assert len(await live_db.dead(quiet)) == 0


async def _readings_are(live_db: LiveDb, devices: list[str], expected: int) -> bool:
    return await live_db.readings(devices) == expected
