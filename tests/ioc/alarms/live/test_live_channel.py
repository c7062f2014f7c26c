"""Alarm events reach only the officers of the alarm's unit: two officers of two wards on /ws, each
acknowledging alarms of his own ward through the served API; each receives his ward's events and none of
the other's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import EventMessage
from tests.ioc.alarms.live.conftest import World
from tests.support.events import WARD_A, WARD_B, Client, token
from tests.support.live import RunningRelay

Serve = Callable[[Settings], Awaitable[str]]


async def test_alarm_events_reach_only_the_units_officers(
    world: World, serve: Serve, relays: Callable[[Settings], RunningRelay], events_settings: Settings
) -> None:
    host = await serve(events_settings)
    relays(events_settings)
    officer_a = await world.person(Role.OFFICER, WARD_A)
    officer_b = await world.person(Role.OFFICER, WARD_B)
    token_a = token(events_settings, Role.OFFICER, WARD_A, user_id=officer_a.id)
    token_b = token(events_settings, Role.OFFICER, WARD_B, user_id=officer_b.id)
    live_a = await Client.signed_in(f"ws://{host}/ws", token_a)
    live_b = await Client.signed_in(f"ws://{host}/ws", token_b)
    await live_a.subscribe(["alerts"])
    await live_b.subscribe(["alerts"])
    first_a, first_b = await world.alarm(unit_code=WARD_A), await world.alarm(unit_code=WARD_B)
    second_a, second_b = await world.alarm(unit_code=WARD_A), await world.alarm(unit_code=WARD_B)

    async with httpx.AsyncClient(base_url=f"http://{host}", timeout=15) as api:
        # In the stream: A1, B1, A2, B2. A leak would show as the other ward's event between one's own two.
        for alarm, bearer in (
            (first_a, token_a),
            (first_b, token_b),
            (second_a, token_a),
            (second_b, token_b),
        ):
            answer = await api.post(
                f"/api/v1/alerts/{alarm.id}/ack", headers={"authorization": f"Bearer {bearer}"}
            )
            assert answer.status_code == 200, answer.text

    for client, own in ((live_a, (first_a, second_a)), (live_b, (first_b, second_b))):
        received = [EventMessage.model_validate(message).event for message in await client.events(2)]
        assert [event.subject_id for event in received] == [str(alarm.id) for alarm in own]
        assert [event.type for event in received] == ["alerts.acknowledged"] * 2
        assert received[0].data["alarm"]["status"] == "active_acknowledged"
        assert received[0].location is not None
        await client.close()
