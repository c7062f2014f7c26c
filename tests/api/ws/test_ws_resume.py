"""Resume: a client that reconnects with the last cursor it saw gets everything it missed, then live events,
with no gap and no duplicate, even while events keep coming."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from core.events import stream
from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import EventMessage, ResumedMessage
from tests.support.events import (
    IN_WARD_A,
    IN_WARD_B,
    WARD_A,
    WARD_B,
    Client,
    envelope,
    eventually,
    token,
)

Serve = Callable[[Settings], Awaitable[str]]


async def _publish_numbered(redis: Redis, settings: Settings, numbers: range) -> None:
    """Alerts numbered in data.n: even numbers in ward A, odd ones in ward B."""
    for n in numbers:
        unit = WARD_A if n % 2 == 0 else WARD_B
        where = IN_WARD_A if n % 2 == 0 else IN_WARD_B
        await stream.append(
            redis,
            settings.events_stream,
            [envelope("alerts.raised", unit, location=where, data={"n": n})],
            100_000,
        )


async def test_resume_sends_what_was_missed_then_live_without_gap_or_duplicate(
    serve: Serve, events_settings: Settings, stream_redis: Redis, units: None
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    officer = token(events_settings, Role.OFFICER, WARD_A)
    first = await Client.signed_in(url, officer)
    await first.subscribe(["alerts"])
    await _publish_numbered(stream_redis, events_settings, range(6))
    seen = [EventMessage.model_validate(message) for message in await first.events(3)]
    assert [message.event.data["n"] for message in seen] == [0, 2, 4]
    await first.close()

    # Events keep coming while the client is away and while it resumes.
    writer = asyncio.create_task(_publish_numbered(stream_redis, events_settings, range(6, 401)))
    written = 0

    async def some_written() -> bool:
        nonlocal written
        written = await stream_redis.xlen(events_settings.events_stream)
        return written >= 60

    await eventually(some_written, "events to pile up while the client is away")
    second = await Client.signed_in(url, officer)
    subscribed = await second.subscribe(["alerts"], resume_after=seen[-1].cursor)
    assert subscribed["topics"] == ["alerts"]
    numbers: list[int] = []
    cursors: list[str] = []
    resumed: ResumedMessage | None = None
    async with asyncio.timeout(30):
        while not numbers or numbers[-1] < 400:
            message = await second.receive()
            if message["type"] == "resumed":
                resumed = ResumedMessage.model_validate(message)
            elif message["type"] == "event":
                event = EventMessage.model_validate(message)
                numbers.append(int(event.event.data["n"]))
                cursors.append(event.cursor)
    await writer
    assert numbers == list(range(6, 401, 2))
    assert cursors == sorted(cursors, key=stream.cursor_key)
    assert resumed is not None
    assert resumed.gap is False
    # The replay covered at least what was written before the reconnection (the officer's half of it).
    assert resumed.replayed >= (written - 6) // 2


async def test_a_cursor_older_than_the_log_reports_a_gap(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    admin = token(events_settings, Role.ADMIN)
    client = await Client.signed_in(url, admin)
    await client.subscribe(["alerts"])
    await _publish_numbered(stream_redis, events_settings, range(5))
    received = [EventMessage.model_validate(message).cursor for message in await client.events(5)]
    await client.close()
    # The log keeps only its last two entries: events 0, 1 and 2 are gone.
    await stream_redis.xtrim(events_settings.events_stream, maxlen=2, approximate=False)
    again = await Client.signed_in(url, admin)
    await again.subscribe(["alerts"], resume_after=received[1])
    replayed = [EventMessage.model_validate(message).event.data["n"] for message in await again.events(2)]
    resumed = ResumedMessage.model_validate(await again.receive_type("resumed"))
    assert replayed == [3, 4]
    assert resumed.gap is True
    # From a cursor the log still holds, nothing is missing.
    kept = await Client.signed_in(url, admin)
    await kept.subscribe(["alerts"], resume_after=received[3])
    assert [message["event"]["data"]["n"] for message in await kept.events(1)] == [4]
    assert ResumedMessage.model_validate(await kept.receive_type("resumed")).gap is False


async def test_resuming_from_the_newest_cursor_replays_nothing(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    admin = token(events_settings, Role.ADMIN)
    client = await Client.signed_in(url, admin)
    await client.subscribe(["alerts"])
    await _publish_numbered(stream_redis, events_settings, range(2))
    cursor = EventMessage.model_validate((await client.events(2))[1]).cursor
    await client.close()
    again = await Client.signed_in(url, admin)
    await again.subscribe(["alerts"], resume_after=cursor)
    resumed = ResumedMessage.model_validate(await again.receive_type("resumed"))
    assert (resumed.replayed, resumed.gap) == (0, False)
    await _publish_numbered(stream_redis, events_settings, range(2, 3))
    assert [m["event"]["data"]["n"] for m in await again.events(1)] == [2]


async def test_resume_is_refused_once_events_were_sent(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.signed_in(url, token(events_settings, Role.ADMIN))
    await client.subscribe(["alerts"])
    await _publish_numbered(stream_redis, events_settings, range(1))
    [message] = await client.events(1)
    await client.send({"type": "subscribe", "topics": ["feedback"], "resume_after": message["cursor"]})
    refused = await client.receive_type("error")
    assert refused["code"] == "resume_not_allowed"
    # The subscription did not change.
    await _publish_numbered(stream_redis, events_settings, range(1, 2))
    assert [m["event"]["type"] for m in await client.events(1)] == ["alerts.raised"]
