"""A published warning reaches citizens on the live channel (topic warnings): one event per ward concerned, so
a subscription filtered by ward hears only of its wards.

The warning's events are taken from the outbox the way the relay takes them and appended to this test's
stream; the real app, served on a loopback port, hands them to signed-in citizens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection

from core.events import stream
from core.events.repository import pending_events
from core.identity.principal import Role
from core.settings import Settings
from mobile_contract.events import EventMessage
from tests.ioc.warnings.conftest import publish
from tests.support.events import Client, envelope, token
from tests.support.live import events_settings, serve, stream_redis
from tests.support.people import Person

__all__ = ["events_settings", "serve", "stream_redis"]

Serve = Callable[[Settings], Awaitable[str]]


async def test_citizens_hear_of_the_warnings_of_their_wards(
    client: httpx.AsyncClient,
    officer: Person,
    connection: AsyncConnection,
    serve: Serve,
    events_settings: Settings,
    stream_redis: Redis,
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    following = await Client.signed_in(url, token(events_settings, Role.CITIZEN))
    everything = await Client.signed_in(url, token(events_settings, Role.CITIZEN))
    await following.subscribe(["warnings"], filters={"unit_codes": ["13684"]})
    await everything.subscribe(["warnings"])
    warning = (await publish(client, officer, area={"ward_codes": ["13666", "13684"]})).json()

    relayed = [
        event.envelope
        for event in await pending_events(connection, 100)
        if event.envelope is not None and event.envelope.subject_id == warning["id"]
    ]
    marker = envelope("warnings.published", "13684", data={"marker": True})
    await stream.append(stream_redis, events_settings.events_stream, [*relayed, marker], 10_000)

    heard = [EventMessage.model_validate(m).event for m in await following.events(2)]
    assert [(e.type, e.unit_code, e.subject_id) for e in heard] == [
        ("warnings.published", "13684", warning["id"]),
        ("warnings.published", "13684", "s-1"),
    ]
    assert heard[0].data["headline"] == warning["headline"]
    all_heard = [EventMessage.model_validate(m).event for m in await everything.events(3)]
    assert [e.unit_code for e in all_heard] == ["13666", "13684", "13684"]
    await following.close()
    await everything.close()
