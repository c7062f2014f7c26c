"""Signing in on the live channel: token in the first message or the handshake header; every failure closes
the socket with a clear code."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from redis.asyncio import Redis

from api.ws.connection import Connection
from api.ws.hub import Hub
from core.identity.principal import Principal, Role
from core.identity.revocation import end_all_sessions
from core.settings import Settings
from mobile_contract.events import CloseCode, ReadyMessage, Topic
from tests.support.events import WARD_A, Client, eventually, free_port, token

Serve = Callable[[Settings], Awaitable[str]]


async def test_auth_by_first_message(serve: Serve, events_settings: Settings, units: None) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.open(url)
    await client.send({"type": "auth", "token": token(events_settings, Role.OFFICER, WARD_A)})
    ready = ReadyMessage.model_validate(await client.receive())
    assert ready.role == "officer"
    assert ready.unit_code == WARD_A
    assert "announcements" in ready.topics
    assert ready.max_message_bytes == events_settings.ws_max_message_bytes
    await client.send({"type": "ping"})
    assert (await client.receive_type("pong"))["type"] == "pong"
    await client.close()


async def test_auth_by_authorization_header(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    bearer = token(events_settings, Role.ADMIN)
    client = await Client.open(url, headers={"Authorization": f"Bearer {bearer}"})
    ready = await client.receive()
    assert ready["type"] == "ready"
    assert ready["role"] == "admin"
    assert ready["topics"] == [topic.value for topic in Topic]
    await client.close()


async def test_a_bad_token_is_closed_with_4401(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.open(url)
    await client.send({"type": "auth", "token": "not-a-token"})
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "invalid_token")

    signed_elsewhere = token(
        events_settings.model_copy(
            update={
                "secret_key": type(events_settings.secret_key)(
                    "another-secret-of-sufficient-length-0123456789"
                )
            }
        ),
        Role.ADMIN,
    )
    client = await Client.open(url, headers={"Authorization": f"Bearer {signed_elsewhere}"})
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "invalid_token")

    client = await Client.open(url, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "unauthenticated")


async def test_an_expired_token_is_refused(serve: Serve, events_settings: Settings) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.open(url)
    await client.send(
        {"type": "auth", "token": token(events_settings, Role.ADMIN, expires_in=timedelta(seconds=-5))}
    )
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "token_expired")


async def test_a_first_message_other_than_auth_is_closed_with_4401(
    serve: Serve, events_settings: Settings
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    client = await Client.open(url)
    await client.send({"type": "subscribe", "topics": ["alerts"]})
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "unauthenticated")
    client = await Client.open(url)
    await client.ws.send("{not json")
    assert await client.closed() == (CloseCode.UNAUTHENTICATED, "unauthenticated")


async def test_no_auth_in_time_is_closed_with_4408(serve: Serve, events_settings: Settings) -> None:
    settings = events_settings.model_copy(update={"ws_auth_timeout_seconds": 0.3})
    url = f"ws://{await serve(settings)}/ws"
    client = await Client.open(url)
    assert await client.closed(seconds=5) == (CloseCode.AUTH_TIMEOUT, "auth_timeout")


async def test_the_connection_ends_when_the_token_expires_unless_renewed(
    serve: Serve, events_settings: Settings
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    user = uuid.uuid4()
    short = token(events_settings, Role.ADMIN, user_id=user, expires_in=timedelta(seconds=2))
    renewed = await Client.signed_in(url, short)
    lapsing = await Client.signed_in(url, short)
    # A fresh token of the same account extends the connection (answered with a new ready).
    await renewed.send({"type": "auth", "token": token(events_settings, Role.ADMIN, user_id=user)})
    assert (await renewed.receive_type("ready"))["role"] == "admin"
    assert await lapsing.closed(seconds=10) == (CloseCode.UNAUTHENTICATED, "token_expired")
    await renewed.send({"type": "ping"})
    assert (await renewed.receive_type("pong"))["type"] == "pong"
    # A token of another account is not a renewal.
    await renewed.send({"type": "auth", "token": token(events_settings, Role.ADMIN)})
    assert await renewed.closed() == (CloseCode.UNAUTHENTICATED, "invalid_token")


async def test_a_token_of_ended_sessions_is_refused(
    serve: Serve, events_settings: Settings, stream_redis: Redis
) -> None:
    url = f"ws://{await serve(events_settings)}/ws"
    user = uuid.uuid4()
    bearer = token(events_settings, Role.OFFICER, WARD_A, user_id=user)
    await end_all_sessions(stream_redis, events_settings, user, datetime.now(UTC))
    try:
        client = await Client.open(url)
        await client.send({"type": "auth", "token": bearer})
        assert await client.closed() == (CloseCode.UNAUTHENTICATED, "invalid_token")
    finally:
        await stream_redis.delete(f"auth:sessions-ended:{user}")


async def test_a_live_connection_ends_when_its_sessions_are_ended(
    events_settings: Settings, stream_redis: Redis
) -> None:
    hub = Hub(events_settings, stream_redis, revocation_check_seconds=0.05)
    closes: list[tuple[str, int, str]] = []
    user = uuid.uuid4()
    kept = Connection(10, lambda code, reason: closes.append(("kept", code, reason)))
    ended = Connection(10, lambda code, reason: closes.append(("ended", code, reason)))
    for connection, user_id in ((kept, uuid.uuid4()), (ended, user)):
        connection.principal = Principal(user_id=user_id, role=Role.ADMIN, issued_at=int(time.time()) - 5)
        connection.expires_at = time.monotonic() + 600
        hub.attach(connection)
    await hub.start()
    try:
        await end_all_sessions(stream_redis, events_settings, user, datetime.now(UTC))

        async def closed() -> bool:
            return bool(closes)

        await eventually(closed, "the connection of the ended sessions to be closed")
        # The other account's connection is left alone.
        assert set(closes) == {("ended", CloseCode.UNAUTHENTICATED, "invalid_token")}
    finally:
        await hub.stop()
        await stream_redis.delete(f"auth:sessions-ended:{user}")


async def test_staff_are_refused_and_citizens_let_in_while_ended_sessions_cannot_be_checked(
    serve: Serve, events_settings: Settings
) -> None:
    # A Redis nobody listens on: the ended-sessions check cannot be made.
    down = events_settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0"), "ready_timeout_seconds": 1.0}
    )
    url = f"ws://{await serve(down)}/ws"
    officer = await Client.open(url)
    await officer.send({"type": "auth", "token": token(down, Role.OFFICER, WARD_A)})
    assert await officer.closed() == (CloseCode.TRY_AGAIN_LATER, "session_check_unavailable")

    citizen = await Client.open(url)
    await citizen.send({"type": "auth", "token": token(down, Role.CITIZEN)})
    assert (await citizen.receive())["type"] == "ready"
    await citizen.close()


async def test_live_staff_connections_close_while_ended_sessions_cannot_be_checked(
    events_settings: Settings,
) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    hub = Hub(events_settings, unreachable, revocation_check_seconds=0.05)
    closes: list[tuple[str, int, str]] = []
    staff = Connection(10, lambda code, reason: closes.append(("staff", code, reason)))
    citizen = Connection(10, lambda code, reason: closes.append(("citizen", code, reason)))
    for connection, role in ((staff, Role.OFFICER), (citizen, Role.CITIZEN)):
        connection.principal = Principal(user_id=uuid.uuid4(), role=role, issued_at=int(time.time()) - 5)
        connection.expires_at = time.monotonic() + 600
        hub.attach(connection)
    await hub.start()
    try:

        async def closed() -> bool:
            return bool(closes)

        await eventually(closed, "the staff connection to be closed")
        # Citizens' tokens are accepted while the check cannot be made, as on HTTP.
        assert set(closes) == {("staff", CloseCode.TRY_AGAIN_LATER, "session_check_unavailable")}
    finally:
        await hub.stop()
        await unreachable.aclose()
