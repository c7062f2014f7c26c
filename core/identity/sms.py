"""Sending text messages. The default sender keeps them in the sms_outbox table, where development and the
tests read the codes; a real gateway is chosen with SMARTCITY_SMS_SENDER=http and SMARTCITY_SMS_GATEWAY_URL.

Outside development and test (a production demo allowed by SMARTCITY_SMS_OUTBOX_DEMO) the outbox masks every
run of digits that could be a code: a copy of the table must not sign anyone in.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import repository
from core.identity.models import SmsMessage
from core.identity.phones import mask_phone
from core.settings import Settings

logger = logging.getLogger("smartcity.identity")

GATEWAY_TIMEOUT_SECONDS = 5.0
# Codes are six digits; shorter numbers in a text (minutes of validity) stay readable.
_CODE_LIKE = re.compile(r"[0-9]{4,}")


def mask_codes(body: str) -> str:
    return _CODE_LIKE.sub(lambda found: "*" * len(found.group()), body)


class SmsDeliveryError(Exception):
    """The gateway did not accept the message."""


class SmsSender(Protocol):
    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        """Send `body` to `phone` (E.164); SmsDeliveryError when it cannot be handed over."""


class OutboxSmsSender:
    """Writes the message to sms_outbox in the caller's transaction: it exists exactly when the change that
    asked for it is committed. Codes are kept readable only when `reveal_codes` (development and test)."""

    def __init__(self, *, reveal_codes: bool) -> None:
        self.reveal_codes = reveal_codes

    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        kept = body if self.reveal_codes else mask_codes(body)
        await repository.add_sms(session, SmsMessage(phone=phone, body=kept))


class HttpSmsSender:
    """Posts {"to", "text"} as JSON to an SMS gateway with a bearer token."""

    def __init__(self, url: str, token: str | None, *, timeout: float = GATEWAY_TIMEOUT_SECONDS) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout

    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json={"to": phone, "text": body}, headers=headers)
        except httpx.HTTPError as exc:
            logger.error("SMS gateway unreachable", extra={"phone": mask_phone(phone), "error": str(exc)})
            raise SmsDeliveryError(str(exc)) from exc
        if not response.is_success:
            logger.error(
                "SMS gateway refused a message",
                extra={"phone": mask_phone(phone), "status": response.status_code},
            )
            raise SmsDeliveryError(f"gateway answered {response.status_code}")


def sender_from_settings(settings: Settings) -> SmsSender:
    if settings.sms_sender == "http":
        if not settings.sms_gateway_url:
            raise ValueError("SMARTCITY_SMS_SENDER=http needs SMARTCITY_SMS_GATEWAY_URL")
        token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        return HttpSmsSender(settings.sms_gateway_url, token)
    return OutboxSmsSender(reveal_codes=settings.reveals_codes)
