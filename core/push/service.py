"""Rules of push: what a notification may carry, who gets it, and the phones that receive it.

Other features call enqueue_to_user / enqueue_to_topic inside their own transaction: the notification exists
only if their change commits, and the dispatcher sends it afterwards. Nothing here commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError, invalid_parameter
from core.push import repository
from core.push.models import (
    BODY_MAX_LENGTH,
    MAX_WARDS_PER_DEVICE,
    TITLE_MAX_LENGTH,
    NotificationStatus,
    Platform,
    PushLanguage,
    TargetKind,
)
from core.push.repository import Device
from core.push.topics import language_topic

# Old phones never unregister; past this many devices the least recently seen one is forgotten.
MAX_DEVICES_PER_USER = 10
# FCM refuses a message whose payload exceeds 4096 bytes; keep room for FCM's own fields.
MAX_PAYLOAD_BYTES = 3800
# Keys FCM reserves in the data payload.
RESERVED_DATA_KEYS = frozenset({"from", "notification", "message_type", "collapse_key"})
RESERVED_DATA_PREFIXES = ("google", "gcm")
NO_DEVICE = "NO_DEVICE"
ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE"


def _check_content(title: Message, body: Message, data: Mapping[str, str]) -> None:
    """Refuse at enqueue time what FCM would refuse at send time: a caller's bug, not a delivery failure."""
    for text, limit, what in ((title, TITLE_MAX_LENGTH, "title"), (body, BODY_MAX_LENGTH, "body")):
        for value in (text.vi, text.en):
            if not value.strip() or len(value) > limit:
                raise ValueError(f"the notification {what} must be 1 to {limit} characters in both languages")
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("FCM data keys and values must be strings")
        lowered = key.lower()
        if not key or lowered in RESERVED_DATA_KEYS or lowered.startswith(RESERVED_DATA_PREFIXES):
            raise ValueError(f"{key!r} is reserved by FCM and cannot be a data key")
    for language in ("vi", "en"):
        payload = {"title": getattr(title, language), "body": getattr(body, language), "data": dict(data)}
        if len(json.dumps(payload, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"the notification is larger than FCM allows ({MAX_PAYLOAD_BYTES} bytes)")


def _content(title: Message, body: Message, data: Mapping[str, str], high_priority: bool) -> dict[str, Any]:
    _check_content(title, body, data)
    return {
        "title_vi": title.vi,
        "title_en": title.en,
        "body_vi": body.vi,
        "body_en": body.en,
        "data": dict(data),
        "high_priority": high_priority,
    }


async def enqueue_to_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    title: Message,
    body: Message,
    data: Mapping[str, str] | None = None,
    high_priority: bool = False,
) -> list[uuid.UUID]:
    """Queue a notification to every phone of a user, each in its own language; returns the row ids.

    One row per device, so each phone has its own status and retries. A user with no phone, or whose
    account is deactivated or deleted, gets one row recorded as dropped (NO_DEVICE, ACCOUNT_INACTIVE): the
    notification was meant, and nobody could receive it.
    """
    content = _content(title, body, data or {}, high_priority)
    active = await repository.user_can_receive(session, user_id)
    phones = await repository.list_devices(session, user_id) if active else []
    if not phones:
        return await repository.add_notifications(
            session,
            [
                {
                    **content,
                    "target_kind": TargetKind.TOKEN,
                    "user_id": user_id,
                    "status": NotificationStatus.DROPPED,
                    "last_error": NO_DEVICE if active else ACCOUNT_INACTIVE,
                }
            ],
        )
    return await repository.add_notifications(
        session,
        [
            {**content, "target_kind": TargetKind.TOKEN, "user_id": user_id, "device_token_id": phone.id}
            for phone in phones
        ],
    )


async def enqueue_to_topic(
    session: AsyncSession,
    topic: str,
    *,
    title: Message,
    body: Message,
    data: Mapping[str, str] | None = None,
    high_priority: bool = False,
) -> list[uuid.UUID]:
    """Queue a notification to a topic (e.g. topics.unit_topic("13666")): one row per language topic."""
    content = _content(title, body, data or {}, high_priority)
    return await repository.add_notifications(
        session,
        [
            {
                **content,
                "target_kind": TargetKind.TOPIC,
                "topic": language_topic(topic, language),
                "language": language,
            }
            for language in PushLanguage
        ],
    )


async def enqueue_to_wards(
    session: AsyncSession,
    ward_codes: Sequence[str],
    *,
    title: Message,
    body: Message,
    data: Mapping[str, str] | None = None,
    high_priority: bool = False,
) -> int:
    """Queue a notification to every phone following any of these wards (the wards of interest of its
    registration), each later sent in its own language; returns how many phones. One statement whatever
    their number; phones of deactivated or deleted accounts are left out."""
    content = _content(title, body, data or {}, high_priority)
    return await repository.add_notifications_for_wards(session, ward_codes, content)


async def _checked_wards(session: AsyncSession, wards: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(wards))
    if len(unique) > MAX_WARDS_PER_DEVICE:
        raise invalid_parameter(
            "wards",
            Message(
                f"Chỉ theo dõi được tối đa {MAX_WARDS_PER_DEVICE} phường, xã",
                f"A phone may follow at most {MAX_WARDS_PER_DEVICE} wards",
            ),
            location="body",
        )
    known = await repository.known_wards(session, unique)
    unknown = [code for code in unique if code not in known]
    if unknown:
        raise invalid_parameter(
            "wards",
            Message(f"Không có phường, xã mã {unknown[0]}", f"No ward has the code {unknown[0]}"),
            code="unit_not_found",
            location="body",
        )
    return unique


async def register_device(
    session: AsyncSession,
    user_id: uuid.UUID,
    device_id: str,
    *,
    token: str,
    platform: Platform,
    language: PushLanguage,
    wards: Sequence[str] | None = None,
) -> tuple[Device, bool]:
    """Register or update one phone of a user; returns the device and whether it was new.

    `wards` are the ward codes the person follows on this phone (422 when one is no stored ward, or more
    than MAX_WARDS_PER_DEVICE); None keeps what the phone had, so apps that never send wards lose nothing.
    """
    if not await repository.user_can_receive(session, user_id):
        raise ProblemError(
            404,
            "account_not_found",
            Message("Tài khoản không còn hoạt động", "The account no longer exists or is deactivated"),
        )
    return await repository.upsert_device(
        session,
        user_id=user_id,
        device_id=device_id,
        token=token,
        platform=platform,
        language=language,
        max_devices=MAX_DEVICES_PER_USER,
        wards=await _checked_wards(session, wards) if wards is not None else None,
    )


async def unregister_device(session: AsyncSession, user_id: uuid.UUID, device_id: str) -> None:
    """Forget one phone of a user; another user's device, or an unknown one, is not found."""
    if not await repository.delete_device(session, user_id=user_id, device_id=device_id):
        raise ProblemError(
            404,
            "device_not_found",
            Message(
                f"Không có thiết bị {device_id} trong tài khoản này",
                f"This account has no device {device_id}",
            ),
        )


async def list_devices(session: AsyncSession, user_id: uuid.UUID) -> list[Device]:
    return await repository.list_devices(session, user_id)
