"""The SMS senders: the outbox keeps messages in the database; the HTTP sender posts them to a gateway, here a
small fake gateway listening on 127.0.0.1 that the real httpx client talks to."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.service import sms_text
from core.identity.sms import HttpSmsSender, OutboxSmsSender, SmsDeliveryError, sender_from_settings
from core.settings import Profile, Settings
from tests.core.identity.conftest import ClientFactory
from tests.core.identity.support import PHONE, PHONE_E164, count, problem


@dataclass
class FakeGateway:
    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            fake.received.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("authorization"),
                    "content_type": self.headers.get("content-type"),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(fake.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what was received instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port_url() -> str:
    # Bind and close: nothing listens on this port afterwards.
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/sms"


async def test_the_http_sender_posts_json_with_the_bearer_token(
    gateway: FakeGateway, session: AsyncSession
) -> None:
    await HttpSmsSender(gateway.url, "gateway-token").send(session, PHONE_E164, "xin chao")

    assert gateway.received == [
        {
            "path": "/sms",
            "authorization": "Bearer gateway-token",
            "content_type": "application/json",
            "json": {"to": PHONE_E164, "text": "xin chao"},
        }
    ]
    assert await count(session, "SELECT count(*) FROM sms_outbox") == 0


async def test_a_gateway_error_is_a_delivery_error(gateway: FakeGateway, session: AsyncSession) -> None:
    gateway.status = 500
    with pytest.raises(SmsDeliveryError, match="500"):
        await HttpSmsSender(gateway.url, "t").send(session, PHONE_E164, "x")


async def test_an_unreachable_gateway_is_a_delivery_error(session: AsyncSession) -> None:
    with pytest.raises(SmsDeliveryError):
        await HttpSmsSender(free_port_url(), "t", timeout=2).send(session, PHONE_E164, "x")


async def test_the_outbox_sender_writes_in_the_callers_transaction(session: AsyncSession) -> None:
    await OutboxSmsSender(reveal_codes=True).send(session, PHONE_E164, "ma 123456")
    assert (
        await count(
            session,
            "SELECT count(*) FROM sms_outbox WHERE phone = :p AND body = 'ma 123456' AND status = 'pending'",
            p=PHONE_E164,
        )
        == 1
    )


def test_the_sender_follows_the_settings(settings: Settings) -> None:
    assert isinstance(sender_from_settings(settings), OutboxSmsSender)
    http = settings.model_copy(
        update={
            "sms_sender": "http",
            "sms_gateway_url": "http://127.0.0.1:9/sms",
            "sms_gateway_token": SecretStr("t"),
        }
    )
    assert isinstance(sender_from_settings(http), HttpSmsSender)
    with pytest.raises(ValueError, match="SMS_GATEWAY_URL"):
        sender_from_settings(settings.model_copy(update={"sms_sender": "http"}))


async def test_a_code_goes_through_the_configured_gateway(
    make_client: ClientFactory, gateway: FakeGateway, session: AsyncSession
) -> None:
    async with make_client(
        sms_sender="http", sms_gateway_url=gateway.url, sms_gateway_token=SecretStr("gw-secret")
    ) as client:
        response = await client.post("/api/v1/auth/otp/request", json={"phone": PHONE})

    assert response.status_code == 202, response.text
    [message] = gateway.received
    assert message["authorization"] == "Bearer gw-secret"
    assert message["json"]["to"] == PHONE_E164
    assert "SmartCity" in message["json"]["text"]
    assert await count(session, "SELECT count(*) FROM sms_outbox") == 0
    assert await count(session, "SELECT count(*) FROM otp_challenges WHERE phone = :p", p=PHONE_E164) == 1


async def test_a_failing_gateway_answers_503_and_keeps_nothing(
    make_client: ClientFactory, gateway: FakeGateway, session: AsyncSession, redis: Redis
) -> None:
    gateway.status = 502
    async with make_client(sms_sender="http", sms_gateway_url=gateway.url) as client:
        response = await client.post("/api/v1/auth/otp/request", json={"phone": PHONE})

    problem(response, 503, "sms_unavailable")
    assert response.headers["retry-after"] == "60"
    assert len(gateway.received) == 1
    assert await count(session, "SELECT count(*) FROM otp_challenges") == 0
    # The failed attempt does not use up the phone's sending budget.
    for key in await redis.keys("smartcity:ratelimit:*"):
        assert await redis.zcard(key) == 0


@pytest.mark.parametrize("profile", [Profile.DEVELOPMENT, Profile.TEST])
def test_development_and_test_keep_codes_readable_in_the_outbox(settings: Settings, profile: Profile) -> None:
    sender = sender_from_settings(settings.model_copy(update={"profile": profile}))
    assert isinstance(sender, OutboxSmsSender)
    assert sender.reveal_codes


async def test_a_demo_in_production_never_stores_a_readable_code(
    settings: Settings, session: AsyncSession
) -> None:
    demo = settings.model_copy(update={"profile": Profile.PRODUCTION, "sms_outbox_demo": True})
    sender = sender_from_settings(demo)
    await sender.send(session, PHONE_E164, sms_text("482913", 300))
    body = await session.scalar(text("SELECT body FROM sms_outbox WHERE phone = :p"), {"p": PHONE_E164})
    assert body is not None
    assert "482913" not in body
    assert re.search(r"[0-9]{6}", body) is None
    assert "5 phut" in body
