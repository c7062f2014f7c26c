"""The FCM path, end to end through the real firebase-admin library against the local fake of Google's
OAuth token endpoint and FCM HTTP v1 send endpoint."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import Message
from core.push import service
from core.push.dispatcher import Dispatcher
from core.push.fcm import FcmSender
from core.push.models import Platform, PushLanguage
from core.push.repository import notifications
from core.push.senders import PushMessage, fcm_message_json
from core.push.topics import unit_topic
from core.settings import Settings
from tests.core.push.conftest import Clock, make_dispatcher
from tests.core.push.fcm_fake import (
    HOLD_LIMIT_SECONDS,
    JWT_GRANT,
    FcmFake,
    Reply,
    invalid_argument,
    quota_exceeded,
    unavailable,
    unregistered,
)
from tests.support.push import Rows, fcm_token, make_user

TITLE = Message("Cảnh báo ngập: đường Trần Hưng Đạo", "Flood alert: Tran Hung Dao street")
BODY = Message("Nước ngập 30 cm, hạn chế di chuyển.", "Water 30 cm deep, avoid the area.")
DEADLINE_SECONDS = HOLD_LIMIT_SECONDS


async def phone(
    session: AsyncSession,
    user_id: uuid.UUID,
    device_id: str,
    language: PushLanguage = PushLanguage.VI,
    platform: Platform = Platform.ANDROID,
) -> str:
    token = fcm_token(device_id)
    await service.register_device(
        session, user_id, device_id, token=token, platform=platform, language=language
    )
    return token


async def one_user_notification(
    session: AsyncSession, language: PushLanguage = PushLanguage.VI, **options: Any
) -> tuple[uuid.UUID, str, uuid.UUID]:
    """A user with one phone and one notification queued to them: (user, token, notification)."""
    user = await make_user(session)
    token = await phone(session, user, "phone", language)
    [notification_id] = await service.enqueue_to_user(session, user, title=TITLE, body=BODY, **options)
    await session.commit()
    return user, token, notification_id


def dispatcher(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], sender: FcmSender, clock: Clock
) -> Dispatcher:
    return make_dispatcher(settings, sessionmaker, sender, clock)


async def test_the_exact_request_firebase_admin_sends_for_a_device(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    token = await phone(session, user, "iphone", PushLanguage.EN, Platform.IOS)
    [notification_id] = await service.enqueue_to_user(
        session,
        user,
        title=TITLE,
        body=BODY,
        data={"alert_id": "a-17", "severity": "major"},
        high_priority=True,
    )
    await session.commit()

    report = await dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()

    assert report.sent == 1
    [request] = fcm.sends
    assert request.path == "/v1/projects/smartcity-push-test/messages:send"
    assert request.body == {
        "message": {
            "token": token,
            "notification": {
                "title": "Flood alert: Tran Hung Dao street",
                "body": "Water 30 cm deep, avoid the area.",
            },
            "data": {"alert_id": "a-17", "severity": "major"},
            "android": {"priority": "high"},
            "apns": {"headers": {"apns-priority": "10"}},
        }
    }
    # The outbox sender records the same message FCM receives.
    assert request.body["message"] == fcm_message_json_of(request.body["message"])
    assert request.headers["authorization"] == f"Bearer {fcm.access_token}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-goog-api-format-version"] == "2"
    # The access token came from the service account's token_uri, for an assertion signed with its key.
    assert fcm.token_requests
    assert all(r.body["grant_type"] == JWT_GRANT for r in fcm.token_requests)
    assert fcm.assertions[0]["iss"] == fcm.client_email
    assert "https://www.googleapis.com/auth/firebase" in fcm.assertions[0]["scope"].split()

    row = await rows.notification(notification_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now)
    assert row.message_id.startswith("projects/smartcity-push-test/messages/")


def fcm_message_json_of(sent: dict[str, Any]) -> dict[str, Any]:
    return fcm_message_json(
        PushMessage(
            uuid.uuid4(),
            sent["notification"]["title"],
            sent["notification"]["body"],
            sent.get("data", {}),
            sent["android"]["priority"] == "high",
            token=sent.get("token"),
            topic=sent.get("topic"),
        )
    )


async def test_the_exact_requests_for_a_unit_topic(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    ids = await service.enqueue_to_topic(session, unit_topic("13666"), title=TITLE, body=BODY)
    await session.commit()

    await dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()

    sent = sorted((r.body for r in fcm.sends), key=lambda body: body["message"]["topic"])
    assert sent == [
        {
            "message": {
                "topic": "unit-13666-en",
                "notification": {"title": TITLE.en, "body": BODY.en},
                "android": {"priority": "normal"},
                "apns": {"headers": {"apns-priority": "5"}},
            }
        },
        {
            "message": {
                "topic": "unit-13666-vi",
                "notification": {"title": TITLE.vi, "body": BODY.vi},
                "android": {"priority": "normal"},
                "apns": {"headers": {"apns-priority": "5"}},
            }
        },
    ]
    assert {(await rows.notification(i)).status for i in ids} == {"sent"}


async def test_an_unregistered_token_is_deleted_and_its_notifications_dropped(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    stale = await phone(session, user, "old-phone")
    await phone(session, user, "new-phone", PushLanguage.EN)
    first = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    await session.commit()
    fcm.plan(stale, unregistered())
    send = dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)

    report = await send.dispatch_once()

    assert (report.sent, report.dropped, report.tokens_deleted) == (1, 1, 1)
    assert [d.device_id for d in await rows.devices_of(user)] == ["new-phone"]
    statuses = {
        (r.status, r.last_error, r.device_token_id is None)
        for r in [await rows.notification(i) for i in first]
    }
    assert statuses == {("dropped", "UNREGISTERED", True), ("sent", None, False)}
    # Later notifications go to the remaining phone only.
    second = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    await session.commit()
    await send.dispatch_once()
    assert len(second) == 1
    assert len(fcm.sends_to(stale)) == 1


async def test_a_transient_failure_is_retried_after_the_backoff(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    _, token, notification_id = await one_user_notification(session)
    fcm.plan(token, unavailable())
    send = dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)
    started = clock.now

    assert (await send.dispatch_once()).retried == 1

    row = await rows.notification(notification_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "UNAVAILABLE")
    assert row.next_attempt_at == started + timedelta(seconds=fcm_settings.push_backoff_seconds)
    assert len(fcm.sends_to(token)) == 1, "firebase-admin must not retry on its own"
    clock.advance(fcm_settings.push_backoff_seconds - 0.001)
    assert (await send.dispatch_once()).claimed == 0
    clock.advance(0.001)
    assert (await send.dispatch_once()).sent == 1
    row = await rows.notification(notification_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, clock.now)
    assert len(fcm.sends_to(token)) == 2


async def test_a_failure_that_persists_ends_as_failed_after_the_last_attempt(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    _, token, notification_id = await one_user_notification(session)
    fcm.plan(token, *[unavailable() for _ in range(fcm_settings.push_max_attempts + 1)])
    send = dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)

    delays = []
    for _ in range(fcm_settings.push_max_attempts):
        before = clock.now
        await send.dispatch_once()
        row = await rows.notification(notification_id)
        if row.status != "pending":
            break
        delays.append((row.next_attempt_at - before).total_seconds())
        clock.now = row.next_attempt_at

    backoff = fcm_settings.push_backoff_seconds
    assert delays == [backoff * 2**n for n in range(fcm_settings.push_max_attempts - 1)]
    assert (row.status, row.last_error) == ("failed", "UNAVAILABLE")
    assert row.attempts == fcm_settings.push_max_attempts
    assert len(fcm.sends_to(token)) == fcm_settings.push_max_attempts
    clock.advance(24 * 3600)
    assert (await send.dispatch_once()).claimed == 0


async def test_retry_after_from_fcm_is_honoured(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    _, token, notification_id = await one_user_notification(session)
    fcm.plan(token, quota_exceeded(retry_after=120))

    await dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()

    row = await rows.notification(notification_id)
    assert (row.status, row.last_error) == ("pending", "QUOTA_EXCEEDED")
    assert row.next_attempt_at == clock.now + timedelta(seconds=120)


async def test_an_invalid_argument_is_dropped_without_retry_and_the_token_kept(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    user, token, notification_id = await one_user_notification(session)
    fcm.plan(token, invalid_argument())
    send = dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)

    assert (await send.dispatch_once()).dropped == 1

    row = await rows.notification(notification_id)
    assert (row.status, row.attempts, row.last_error) == ("dropped", 1, "INVALID_ARGUMENT")
    assert len(await rows.devices_of(user)) == 1
    clock.advance(24 * 3600)
    assert (await send.dispatch_once()).claimed == 0
    assert len(fcm.sends_to(token)) == 1


async def test_one_malformed_notification_does_not_stop_the_others(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    token = await phone(session, user, "phone")
    good = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    bad_data = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    [good_topic, bad_topic] = await service.enqueue_to_topic(
        session, unit_topic("37"), title=TITLE, body=BODY
    )
    # Rows written by hand (or an older version) that firebase-admin refuses to encode.
    by_id = notifications.c.id
    await session.execute(update(notifications).where(by_id == bad_data[0]).values(data={"n": 5}))
    await session.execute(update(notifications).where(by_id == bad_topic).values(topic="bad topic!"))
    await session.commit()

    report = await dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once()

    assert (report.sent, report.dropped) == (2, 2)
    assert (await rows.notification(good[0])).status == "sent"
    assert (await rows.notification(good_topic)).status == "sent"
    for bad in (bad_data[0], bad_topic):
        row = await rows.notification(bad)
        assert row.status == "dropped"
        assert row.last_error.startswith("INVALID_MESSAGE")
    assert len(fcm.sends_to(token)) == 1


async def test_no_access_token_means_retry_not_loss(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    _, token, notification_id = await one_user_notification(session)
    fcm.refuse_tokens = True
    send = dispatcher(fcm_settings, sessionmaker, fcm_sender, clock)

    assert (await send.dispatch_once()).retried == 1

    row = await rows.notification(notification_id)
    assert row.status == "pending"
    assert fcm.sends == []
    fcm.refuse_tokens = False
    clock.now = row.next_attempt_at
    assert (await send.dispatch_once()).sent == 1
    assert len(fcm.sends_to(token)) == 1


async def test_firebase_admin_runs_off_the_event_loop(
    fcm_settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fcm_sender: FcmSender,
    fcm: FcmFake,
    clock: Clock,
    rows: Rows,
) -> None:
    _, token, notification_id = await one_user_notification(session)
    release = threading.Event()
    fcm.plan(token, Reply(200, {"name": "projects/smartcity-push-test/messages/held"}, hold=release))

    started = time.monotonic()
    task = asyncio.create_task(dispatcher(fcm_settings, sessionmaker, fcm_sender, clock).dispatch_once())
    try:
        # FCM holds its answer until released. Had the send blocked the loop, this coroutine could not look at
        # the fake before the hold's own time limit ran out.
        while not fcm.sends_to(token):
            assert time.monotonic() - started < DEADLINE_SECONDS, "the request never reached the fake"
            await asyncio.sleep(0.005)
        assert time.monotonic() - started < HOLD_LIMIT_SECONDS
        assert not task.done()
    finally:
        release.set()
    report = await asyncio.wait_for(task, DEADLINE_SECONDS)

    assert report.sent == 1
    row = await rows.notification(notification_id)
    assert row.message_id == "projects/smartcity-push-test/messages/held"
