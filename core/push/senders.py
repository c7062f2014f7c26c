"""What a push sender is: it takes rendered messages and says, for each, what became of it.

Two implementations: core.push.fcm.FcmSender (Firebase Cloud Messaging, when a service-account file is
configured) and core.push.outbox_sender.OutboxPushSender (records messages in push_outbox; the default).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

# FCM's limit for one send_each call.
MAX_BATCH = 500


class Outcome(StrEnum):
    OK = "ok"
    # The token no longer addresses an installation (app removed, token rotated): delete it.
    UNREGISTERED = "unregistered"
    # Worth trying again later: FCM unavailable or overloaded, quota, network, our own token fetch.
    TRANSIENT = "transient"
    # Will fail the same way every time: invalid message or token, token of another sender.
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One message to one token or one topic, already in its reader's language."""

    notification_id: uuid.UUID
    title: str
    body: str
    data: Mapping[str, str] = field(default_factory=dict)
    high_priority: bool = False
    token: str | None = None
    topic: str | None = None

    def __post_init__(self) -> None:
        if (self.token is None) == (self.topic is None):
            raise ValueError("a push message goes to exactly one of a token or a topic")


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    # The id the service gave the message (only when outcome is ok).
    message_id: str | None = None
    # A short machine-readable reason, e.g. UNREGISTERED, UNAVAILABLE, INVALID_ARGUMENT.
    error: str | None = None
    # Seconds the service asked us to wait before trying again (Retry-After), if it said.
    retry_after: float | None = None


class PushSender(Protocol):
    async def send_to_tokens(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        """Send token messages; one result per message, in order. Never raises for a single message."""
        ...

    async def send_to_topic(self, message: PushMessage) -> SendResult:
        """Send one topic message."""
        ...

    async def close(self) -> None: ...


def fcm_message_json(message: PushMessage) -> dict[str, Any]:
    """The FCM HTTP v1 `message` object for a message: what FCM receives, and what the outbox records."""
    priority = "high" if message.high_priority else "normal"
    body: dict[str, Any] = {"token": message.token} if message.token is not None else {"topic": message.topic}
    body["notification"] = {"title": message.title, "body": message.body}
    if message.data:
        body["data"] = dict(message.data)
    body["android"] = {"priority": priority}
    # APNs: 10 delivers at once and may wake the phone; 5 lets iOS choose a moment that saves power.
    body["apns"] = {"headers": {"apns-priority": "10" if message.high_priority else "5"}}
    return body
