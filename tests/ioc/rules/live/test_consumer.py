"""The rules on real consumers: readings published over MQTT become alarms, their timeline and their events
in the batch's transaction; a redelivered message changes nothing; two consumers sharing one device's
messages make one alarm; a rule added while consumers run is picked up on its NOTIFY."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ioc.rules.evaluation import RuleHook
from iot.simulator.publisher import Connection
from tests.ioc.rules.live.support import LiveRules, every_reading
from tests.iot.ingest.conftest import ConsumerFactory
from tests.iot.ingest.support import LiveDb, publish, telemetry, wait_until

WITHIN = 60.0
Hooks = Callable[..., RuleHook]


async def _sensor_and_rule(live_db: LiveDb, live_rules: LiveRules) -> tuple[str, uuid.UUID]:
    device = await live_db.add_device("water_level")
    return device, await live_rules.add(every_reading("water_level", "level_cm"))


async def test_a_published_reading_raises_and_a_redelivery_changes_nothing(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection, rule_hooks: Hooks, live_rules: LiveRules
) -> None:
    device, rule_id = await _sensor_and_rule(live_db, live_rules)
    first = telemetry(device, 1, level_cm=35.0)
    async with consumer(hook=rule_hooks()) as running:
        await publish(gateway, [first])
        await wait_until("the alarm", lambda: _counted(live_rules, rule_id, 1), within=WITHIN)
        # The same message again (a redelivery carries the identical payload), then a new one.
        await publish(gateway, [first])
        await wait_until(
            "the redelivery", lambda: running.metrics.duplicates._value.get() >= 1, within=WITHIN
        )
        await publish(gateway, [telemetry(device, 2, level_cm=36.0)])
        await wait_until("the repeat", lambda: _counted(live_rules, rule_id, 2), within=WITHIN)
    [alarm] = await live_rules.alarms(rule_id)
    assert (alarm["source_key"], alarm["count"], alarm["status"]) == (device, 2, "active_unacknowledged")
    assert await live_rules.entries(rule_id, "raised") == {device: 1}
    assert await live_rules.entries(rule_id, "repeated") == {device: 1}
    assert await live_rules.events(rule_id, "alerts.raised") == {device: 1}
    assert await live_rules.events(rule_id, "alerts.updated") == {device: 1}


async def test_two_consumers_sharing_one_devices_messages_make_one_alarm(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection, rule_hooks: Hooks, live_rules: LiveRules
) -> None:
    device, rule_id = await _sensor_and_rule(live_db, live_rules)
    messages = [telemetry(device, seq, level_cm=30.0 + seq % 7) for seq in range(1, 81)]
    async with consumer(hook=rule_hooks()) as one, consumer(group=one.group, hook=rule_hooks()) as other:
        await publish(gateway, messages)
        await wait_until("every reading", lambda: _stored(live_db, device, 80), within=WITHIN)
        shares = (one.metrics.received._value.get(), other.metrics.received._value.get())
    assert min(shares) > 0, f"one consumer received nothing: {shares}"
    [alarm] = await live_rules.alarms(rule_id)
    assert alarm["count"] == 80
    assert await live_rules.entries(rule_id, "raised") == {device: 1}
    assert await live_rules.events(rule_id, "alerts.raised") == {device: 1}


async def test_a_rule_added_while_consumers_run_is_picked_up_on_its_notify(
    live_db: LiveDb, consumer: ConsumerFactory, gateway: Connection, rule_hooks: Hooks, live_rules: LiveRules
) -> None:
    device = await live_db.add_device("water_level")
    # Without the NOTIFY it would take five minutes to notice.
    hook = rule_hooks(ioc_rules_refresh_seconds=300.0)
    async with consumer(hook=hook):
        await publish(gateway, [telemetry(device, 1, level_cm=35.0)])
        await wait_until("the first reading", lambda: _stored(live_db, device, 1), within=WITHIN)
        assert not hook.catalogue.stale
        rule_id = await live_rules.add(every_reading("water_level", "level_cm"))
        await wait_until("the notification", lambda: hook.catalogue.stale, within=WITHIN)
        await publish(gateway, [telemetry(device, 2, level_cm=35.0)])
        await wait_until("the alarm", lambda: _counted(live_rules, rule_id, 1), within=WITHIN)
    [alarm] = await live_rules.alarms(rule_id)
    assert alarm["count"] == 1


async def _counted(rules: LiveRules, rule_id: uuid.UUID, expected: int) -> bool:
    return await rules.counted(rule_id) >= expected


async def _stored(live_db: LiveDb, device: str, expected: int) -> bool:
    return await live_db.readings([device]) >= expected
