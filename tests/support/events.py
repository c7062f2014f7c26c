"""Helpers for the event and live-channel tests: tokens, WebSocket clients with deadlines, polling waits."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import Settings
from mobile_contract.events import EventEnvelope, LatLon

# Every wait in these tests is bounded by this many seconds (or less).
DEADLINE_SECONDS = 15.0
# Pause between two looks at something we wait for; always bounded by a deadline.
POLL_SECONDS = 0.02

PROVINCE = "98"
WARD_A = "98001"
WARD_B = "98002"
# Squares inside the test province (lon, lat): ward A west of 105.5, ward B east of it.
IN_WARD_A = LatLon(lat=20.5, lon=105.25)
IN_WARD_B = LatLon(lat=20.5, lon=105.75)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def token(
    settings: Settings,
    role: Role,
    unit_code: str | None = None,
    *,
    user_id: uuid.UUID | None = None,
    expires_in: timedelta | None = None,
) -> str:
    principal = Principal(user_id=user_id or uuid.uuid4(), role=role, unit_code=unit_code)
    now = None
    if expires_in is not None:
        # Issued in the past so that it expires `expires_in` from now.
        now = datetime.now(UTC) + expires_in - timedelta(minutes=settings.access_token_minutes)
    issued, _ = issue_access_token(settings, principal, now=now)
    return issued


def envelope(
    type_: str, unit_code: str | None, *, location: LatLon | None = None, data: dict[str, Any] | None = None
) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(),
        type=type_,
        occurred_at=datetime.now(UTC),
        unit_code=unit_code,
        location=location,
        subject_id="s-1",
        data=data or {},
    )


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, seconds: float = DEADLINE_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out after {seconds}s waiting for: {what}")


class Client:
    """A WebSocket client of the live channel, every wait bounded."""

    def __init__(self, connection: ClientConnection) -> None:
        self.ws = connection

    @classmethod
    async def open(cls, url: str, *, headers: dict[str, str] | None = None, **options: Any) -> Client:
        connection = await connect(url, additional_headers=headers, open_timeout=DEADLINE_SECONDS, **options)
        return cls(connection)

    @classmethod
    async def signed_in(cls, url: str, access_token: str, **options: Any) -> Client:
        client = await cls.open(url, **options)
        await client.send({"type": "auth", "token": access_token})
        ready = await client.receive()
        assert ready["type"] == "ready", ready
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, seconds: float = DEADLINE_SECONDS) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            raw = await self.ws.recv()
        message: dict[str, Any] = json.loads(raw)
        return message

    async def receive_type(self, kind: str, seconds: float = DEADLINE_SECONDS) -> dict[str, Any]:
        """The next message of this type, skipping heartbeats."""
        deadline = time.monotonic() + seconds
        while True:
            message = await self.receive(max(0.0, deadline - time.monotonic()))
            if message["type"] == kind:
                return message
            if message["type"] != "heartbeat":
                raise AssertionError(f"expected {kind}, got {message}")

    async def subscribe(self, topics: list[str], **extra: Any) -> dict[str, Any]:
        await self.send({"type": "subscribe", "topics": topics, **extra})
        return await self.receive_type("subscribed")

    async def events(self, count: int, seconds: float = DEADLINE_SECONDS) -> list[dict[str, Any]]:
        """The next `count` event messages (other messages skipped)."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while len(found) < count:
            message = await self.receive(max(0.0, deadline - time.monotonic()))
            if message["type"] == "event":
                found.append(message)
        return found

    async def closed(self, seconds: float = DEADLINE_SECONDS) -> tuple[int, str]:
        """Read until the server closes; the close code and reason it sent."""
        received = None
        try:
            async with asyncio.timeout(seconds):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as closed:
            received = closed.rcvd
        if received is None:
            raise AssertionError("the connection ended without a close frame")
        return received.code, received.reason

    async def close(self) -> None:
        await self.ws.close()
