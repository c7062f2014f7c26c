"""What reaches whom on the live channel: officers only their units' events, filters by unit and area."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from core.events import stream
from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import EventEnvelope, EventMessage
from tests.support.events import IN_WARD_A, IN_WARD_B, PROVINCE, WARD_A, WARD_B, Client, envelope, token

Serve = Callable[[Settings], Awaitable[str]]

TOPICS = ["feedback", "alerts", "announcements"]


async def _publish(redis: Redis, settings: Settings, *events: EventEnvelope) -> None:
    await stream.append(redis, settings.events_stream, list(events), 10_000)


async def _marker(redis: Redis, settings: Settings) -> EventEnvelope:
    """An event every test client receives, published last: once it arrives, nothing else is on the way."""
    marker = envelope("announcements.published", WARD_A, location=IN_WARD_A, data={"marker": True})
    await _publish(redis, settings, marker)
    return marker


async def _until_marker(client: Client, marker: EventEnvelope) -> list[EventEnvelope]:
    received: list[EventEnvelope] = []
    while True:
        [message] = await client.events(1)
        event = EventMessage.model_validate(message).event
        if event.id == marker.id:
            return received
        received.append(event)


async def test_officers_receive_only_their_units_events(
    serve: Serve, events_settings: Settings, stream_redis: Redis, units: None
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    ward_officer = await Client.signed_in(url, token(events_settings, Role.OFFICER, WARD_A))
    province_officer = await Client.signed_in(url, token(events_settings, Role.OFFICER, PROVINCE))
    admin = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    for client in (ward_officer, province_officer, admin):
        await client.subscribe(TOPICS)
    in_a = envelope("feedback.created", WARD_A, location=IN_WARD_A)
    in_b = envelope("feedback.created", WARD_B, location=IN_WARD_B)
    other_province = envelope("alerts.raised", "13666")
    no_unit = envelope("alerts.raised", None)
    await _publish(stream_redis, events_settings, in_a, in_b, other_province, no_unit)
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(ward_officer, marker) == [in_a]
    assert await _until_marker(province_officer, marker) == [in_a, in_b]
    assert await _until_marker(admin, marker) == [in_a, in_b, other_province, no_unit]


async def test_filters_by_unit_and_bounding_box(
    serve: Serve, events_settings: Settings, stream_redis: Redis, units: None
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    by_unit = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    by_area = await Client.signed_in(url, token(events_settings, Role.OFFICER, PROVINCE))
    outside_reach = await Client.signed_in(url, token(events_settings, Role.OFFICER, WARD_A))
    await by_unit.subscribe(TOPICS, filters={"unit_codes": [WARD_B, WARD_A]})
    await by_area.subscribe(TOPICS, filters={"bbox": [105.0, 20.0, 105.5, 21.0]})
    # A filter never widens: ward B is not this officer's, so it simply matches nothing there.
    await outside_reach.subscribe(TOPICS, filters={"unit_codes": [WARD_B]})
    in_a = envelope("feedback.created", WARD_A, location=IN_WARD_A)
    in_b = envelope("alerts.raised", WARD_B, location=IN_WARD_B)
    no_place = envelope("alerts.raised", WARD_A)
    elsewhere = envelope("feedback.created", "13666", location=IN_WARD_A)
    await _publish(stream_redis, events_settings, in_a, in_b, no_place, elsewhere)
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(by_unit, marker) == [in_a, in_b, no_place]
    assert await _until_marker(by_area, marker) == [in_a]
    await outside_reach.subscribe(["announcements"])  # lets the marker through
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(outside_reach, marker) == []


async def test_citizens_receive_announcements_of_every_unit(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    citizen = await Client.signed_in(url, token(events_settings, Role.CITIZEN))
    await citizen.subscribe(["announcements"])
    elsewhere = envelope("announcements.published", "13666")
    await _publish(stream_redis, events_settings, envelope("feedback.created", WARD_A), elsewhere)
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(citizen, marker) == [elsewhere]


async def test_unsubscribe_stops_a_topic(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    admin = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    await admin.subscribe(TOPICS)
    await admin.send({"type": "unsubscribe", "topics": ["feedback"]})
    assert (await admin.receive_type("subscribed"))["topics"] == ["alerts", "announcements"]
    alert = envelope("alerts.raised", None)
    await _publish(stream_redis, events_settings, envelope("feedback.created", WARD_A), alert)
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(admin, marker) == [alert]


async def test_a_duplicate_from_the_relay_is_sent_once(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    admin = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    await admin.subscribe(TOPICS)
    twice = envelope("alerts.raised", WARD_A)
    # What the relay appends again after a crash between its append and its commit.
    await _publish(stream_redis, events_settings, twice)
    await _publish(stream_redis, events_settings, twice)
    marker = await _marker(stream_redis, events_settings)
    assert await _until_marker(admin, marker) == [twice]
