"""Bad input on the live channel: each refused message gets a clear error, is logged and changes nothing; what
cannot go on (too big, too many errors) is closed with its code, and other clients are not disturbed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator

import pytest
from redis.asyncio import Redis

from core.events import stream
from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import CloseCode, ErrorMessage, HeartbeatMessage
from tests.support.events import WARD_A, Client, envelope, token

Serve = Callable[[Settings], Awaitable[str]]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def codes(self) -> list[str]:
        return [str(getattr(record, "code", "")) for record in self.records]


@pytest.fixture
def ws_log() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("smartcity.ws")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def _error(client: Client) -> ErrorMessage:
    return ErrorMessage.model_validate(await client.receive_type("error"))


async def test_malformed_messages_get_an_error_and_change_nothing(
    serve: Serve, events_settings: Settings, stream_redis: Redis, ws_log: Records
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    await client.subscribe(["alerts"])
    await client.ws.send("{not json")
    assert (await _error(client)).code == "invalid_message"
    await client.send({"type": "shout", "text": "hello"})
    unknown = await _error(client)
    assert unknown.code == "invalid_message"
    assert unknown.title == "Tin nhắn không hợp lệ"  # Vietnamese unless the client asks otherwise
    await client.send({"type": "subscribe", "topics": ["alerts", "weather"]})
    assert "topics" in str((await _error(client)).detail)
    await client.send({"type": "subscribe", "topics": ["alerts"], "filters": {"bbox": [106, 21, 105, 20]}})
    assert "bbox" in str((await _error(client)).detail)
    await client.ws.send(b"\x00\x01")
    assert "binary" in str((await _error(client)).detail)
    # The subscription is still the first one: an alert arrives, a feedback event does not.
    await stream.append(
        stream_redis,
        events_settings.events_stream,
        [envelope("feedback.created", WARD_A), envelope("alerts.raised", WARD_A)],
        10_000,
    )
    [delivered] = await client.events(1)
    assert delivered["event"]["type"] == "alerts.raised"
    assert ws_log.codes().count("invalid_message") == 5


async def test_errors_come_in_the_language_asked_for(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.open(url)
    await client.send({"type": "auth", "token": token(events_settings, Role.ADMIN), "language": "en"})
    await client.receive_type("ready")
    await client.send({"type": "nope"})
    assert (await _error(client)).title == "The message is not valid"


async def test_a_role_may_not_subscribe_to_topics_it_may_not_see(
    serve: Serve, events_settings: Settings, stream_redis: Redis, ws_log: Records
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    citizen = await Client.signed_in(url, token(events_settings, Role.CITIZEN))
    await citizen.subscribe(["announcements"])
    await citizen.send({"type": "subscribe", "topics": ["announcements", "alerts"]})
    refused = await _error(citizen)
    assert refused.code == "forbidden_topic"
    assert "alerts" in str(refused.detail)
    field = await Client.signed_in(url, token(events_settings, Role.FIELD_STAFF, WARD_A))
    await field.send({"type": "subscribe", "topics": ["dossiers"]})
    assert (await _error(field)).code == "forbidden_topic"
    # Nothing changed: the citizen still has announcements and no alerts.
    await stream.append(
        stream_redis,
        events_settings.events_stream,
        [
            envelope("alerts.raised", WARD_A),
            envelope("announcements.published", WARD_A),
        ],
        10_000,
    )
    [delivered] = await citizen.events(1)
    assert delivered["event"]["type"] == "announcements.published"
    assert ws_log.codes().count("forbidden_topic") == 2


async def test_an_oversized_message_closes_with_1009_and_others_go_on(
    serve: Serve, events_settings: Settings, ws_log: Records
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    other = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    client = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    await client.send({"type": "ping", "padding": "x" * events_settings.ws_max_message_bytes})
    assert await client.closed() == (CloseCode.MESSAGE_TOO_BIG, "message_too_big")
    await other.send({"type": "ping"})
    assert (await other.receive_type("pong"))["type"] == "pong"
    assert any(record.getMessage() == "live channel: message too big" for record in ws_log.records)


async def test_a_message_of_the_maximum_size_is_accepted(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    message = '{"type":"ping","padding":"' + "é" * 10 + '"}'
    padding = events_settings.ws_max_message_bytes - len(message.encode())
    await client.ws.send(message.replace('"}', "x" * padding + '"}'))
    assert (await client.receive_type("pong"))["type"] == "pong"


async def test_too_many_bad_messages_close_with_4400(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    for _ in range(30):
        await client.ws.send("nonsense")
    assert await client.closed() == (CloseCode.TOO_MANY_ERRORS, "too_many_errors")


async def test_heartbeats_arrive_on_an_idle_connection(serve: Serve, events_settings: Settings) -> None:
    settings = events_settings.model_copy(update={"ws_heartbeat_seconds": 0.2})
    url = f"ws://{await serve(settings)}/ws"
    client = await Client.signed_in(url, token(settings, Role.OFFICER, WARD_A))
    first = HeartbeatMessage.model_validate(await client.receive(seconds=5))
    second = HeartbeatMessage.model_validate(await client.receive(seconds=5))
    assert second.at > first.at
