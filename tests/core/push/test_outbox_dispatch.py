"""The default sender records each message in push_outbox; the dispatcher's statuses, fan-out and loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine, create_sessionmaker
from core.errors import Message
from core.push import repository, service
from core.push.dispatcher import Dispatcher, build_sender, run_dispatcher
from core.push.models import Platform, PushLanguage
from core.push.outbox_sender import OutboxPushSender
from core.push.repository import notifications, users
from core.push.senders import PushMessage, fcm_message_json
from core.push.topics import unit_topic
from core.settings import Settings
from tests.core.push.conftest import Clock, make_dispatcher
from tests.support.push import Rows, fcm_token, make_user

TITLE = Message("Phản ánh của bạn đã được xử lý", "Your report has been resolved")
BODY = Message("Cảm ơn bạn đã phản ánh.", "Thank you for your report.")


async def add_device(
    session: AsyncSession,
    user_id: uuid.UUID,
    device_id: str,
    language: PushLanguage,
    platform: Platform = Platform.ANDROID,
    token: str | None = None,
) -> str:
    token = token or fcm_token(device_id)
    await service.register_device(
        session, user_id, device_id, token=token, platform=platform, language=language
    )
    return token


@pytest.fixture
def outbox_sender(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> OutboxPushSender:
    sender = build_sender(settings, sessionmaker)
    assert isinstance(sender, OutboxPushSender), "the outbox sender is the default without FCM credentials"
    return sender


async def test_a_user_notification_goes_to_each_device_in_its_language(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    vi_token = await add_device(session, user, "android-vi", PushLanguage.VI)
    en_token = await add_device(session, user, "iphone-en", PushLanguage.EN, Platform.IOS)
    ids = await service.enqueue_to_user(
        session, user, title=TITLE, body=BODY, data={"report_id": "PA-2026-0001"}, high_priority=True
    )
    await session.commit()
    assert len(ids) == 2

    report = await make_dispatcher(settings, sessionmaker, outbox_sender, clock).dispatch_once()

    assert (report.claimed, report.sent) == (2, 2)
    payloads = {}
    for notification_id in ids:
        row = await rows.notification(notification_id)
        assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now)
        [recorded] = await rows.outbox_of(notification_id)
        assert row.message_id == f"outbox/{recorded.id}"
        payloads[recorded.token] = recorded.payload
    assert payloads[vi_token] == {
        "token": vi_token,
        "notification": {"title": TITLE.vi, "body": BODY.vi},
        "data": {"report_id": "PA-2026-0001"},
        "android": {"priority": "high"},
        "apns": {"headers": {"apns-priority": "10"}},
    }
    assert payloads[en_token]["notification"] == {"title": TITLE.en, "body": BODY.en}


async def test_a_user_without_devices_gets_a_dropped_record(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    [notification_id] = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    await session.commit()

    report = await make_dispatcher(settings, sessionmaker, outbox_sender, clock).dispatch_once()

    assert report.claimed == 0
    row = await rows.notification(notification_id)
    assert (row.status, row.last_error, row.attempts) == ("dropped", "NO_DEVICE", 0)
    assert await rows.outbox_of(notification_id) == []


async def test_a_deactivated_account_gets_nothing(
    session: AsyncSession,
    rows: Rows,
) -> None:
    user = await make_user(session)
    await add_device(session, user, "phone", PushLanguage.VI)
    await session.execute(update(users).where(users.c.id == user).values(is_active=False))

    [notification_id] = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)

    row = await rows.notification(notification_id)
    assert (row.status, row.last_error, row.device_token_id) == ("dropped", "ACCOUNT_INACTIVE", None)


async def test_a_topic_notification_is_one_message_per_language_topic(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    clock: Clock,
    rows: Rows,
) -> None:
    ids = await service.enqueue_to_topic(session, unit_topic("13666"), title=TITLE, body=BODY)
    await session.commit()

    await make_dispatcher(settings, sessionmaker, outbox_sender, clock).dispatch_once()

    recorded = {}
    for notification_id in ids:
        assert (await rows.notification(notification_id)).status == "sent"
        [message] = await rows.outbox_of(notification_id)
        recorded[message.topic] = message.payload["notification"]["title"]
    assert recorded == {"unit-13666-vi": TITLE.vi, "unit-13666-en": TITLE.en}


async def test_a_token_taken_by_another_account_after_enqueue_is_not_sent_to_it(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    clock: Clock,
    rows: Rows,
) -> None:
    alice, bob = await make_user(session), await make_user(session)
    token = await add_device(session, alice, "shared-install", PushLanguage.VI)
    [for_alice] = await service.enqueue_to_user(session, alice, title=TITLE, body=BODY)
    await add_device(session, bob, "shared-install", PushLanguage.VI, token=token)
    await session.commit()

    await make_dispatcher(settings, sessionmaker, outbox_sender, clock).dispatch_once()

    row = await rows.notification(for_alice)
    assert (row.status, row.last_error) == ("dropped", "TOKEN_GONE")
    assert await rows.outbox_of(for_alice) == []


@pytest.mark.parametrize(
    ("title", "data", "reason"),
    [
        (Message("", "Resolved"), {}, "title"),
        (Message("Đã xử lý", "x" * 201), {}, "title"),
        (TITLE, {"count": 3}, "strings"),
        (TITLE, {"from": "smartcity"}, "reserved"),
        (TITLE, {"google.c.a.e": "1"}, "reserved"),
        (TITLE, {"blob": "x" * 4000}, "larger"),
    ],
)
async def test_content_fcm_would_refuse_is_refused_at_enqueue(
    session: AsyncSession, rows: Rows, title: Message, data: dict[str, str], reason: str
) -> None:
    user = await make_user(session)
    await add_device(session, user, "phone", PushLanguage.VI)

    with pytest.raises(ValueError, match=reason):
        await service.enqueue_to_user(session, user, title=title, body=BODY, data=data)

    assert await rows.all(notifications, user_id=user) == []


async def test_a_sender_that_raises_does_not_stop_the_dispatcher(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    clock: Clock,
    rows: Rows,
) -> None:
    user = await make_user(session)
    await add_device(session, user, "phone", PushLanguage.VI)
    ids = [
        *await service.enqueue_to_user(session, user, title=TITLE, body=BODY),
        *await service.enqueue_to_topic(session, unit_topic("37"), title=TITLE, body=BODY),
    ]
    await session.commit()
    # A real outbox sender whose database cannot be reached: every call raises.
    unreachable = create_engine(
        settings.model_copy(
            update={
                "database_url": type(settings.database_url)("postgresql+asyncpg://nobody:x@127.0.0.1:1/none"),
            }
        )
    )
    try:
        broken_sender = OutboxPushSender(create_sessionmaker(unreachable))
        broken = make_dispatcher(settings, sessionmaker, broken_sender, clock)
        report = await broken.dispatch_once()
    finally:
        await unreachable.dispose()

    assert (report.claimed, report.retried) == (3, 3)
    for notification_id in ids:
        row = await rows.notification(notification_id)
        assert row.status == "pending"
        assert row.last_error.startswith("SENDER_ERROR")
        assert row.next_attempt_at == clock.now + timedelta(seconds=settings.push_backoff_seconds)

    clock.advance(settings.push_backoff_seconds)
    healthy = make_dispatcher(settings, sessionmaker, outbox_sender, clock)
    assert (await healthy.dispatch_once()).sent == 3
    assert {(await rows.notification(i)).attempts for i in ids} == {2}


async def test_a_claimed_row_is_hidden_until_its_lease_ends(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    user = await make_user(session)
    await add_device(session, user, "phone", PushLanguage.VI)
    [notification_id] = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    await session.commit()

    async with sessionmaker() as first, first.begin():
        claimed = await repository.claim_due(first, now=clock.now, lease_until=clock.now, limit=10)
    # A dispatcher that died after claiming: nobody else may take the row before its lease ends...
    clock.advance(-1)
    async with sessionmaker() as second, second.begin():
        assert await repository.claim_due(second, now=clock.now, lease_until=clock.now, limit=10) == []
    # ...and anybody may after, with the attempt counted.
    clock.advance(1)
    async with sessionmaker() as third, third.begin():
        [again] = await repository.claim_due(third, now=clock.now, lease_until=clock.now, limit=10)
    assert [c.id for c in claimed] == [again.id] == [notification_id]
    assert again.attempts == 2


async def test_the_loop_sends_until_stopped(
    settings: Settings,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox_sender: OutboxPushSender,
    rows: Rows,
) -> None:
    user = await make_user(session)
    await add_device(session, user, "phone", PushLanguage.EN)
    [notification_id] = await service.enqueue_to_user(session, user, title=TITLE, body=BODY)
    await session.commit()
    dispatcher = Dispatcher(
        sessionmaker,
        outbox_sender,
        max_attempts=settings.push_max_attempts,
        backoff_seconds=settings.push_backoff_seconds,
        poll_seconds=0.01,
    )
    stop = asyncio.Event()

    async with running(dispatcher, stop):
        await asyncio.wait_for(dispatcher.idle.wait(), timeout=10)

    row = await rows.notification(notification_id)
    assert row.status == "sent"
    [recorded] = await rows.outbox_of(notification_id)
    assert recorded.payload["notification"]["title"] == TITLE.en


def test_retry_delays_double_with_bounded_jitter(settings: Settings) -> None:
    dispatcher = Dispatcher(None, None, max_attempts=5, backoff_seconds=2.0)  # type: ignore[arg-type]
    for attempts, base in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)]:
        delays = [dispatcher.retry_delay(attempts) for _ in range(200)]
        assert base * 0.8 <= min(delays) < max(delays) <= base * 1.2
    assert dispatcher.retry_delay(1, retry_after=90) == 90
    assert dispatcher.retry_delay(30) == 3600


def test_messages_are_rendered_for_fcm_the_same_way_for_tokens_and_topics() -> None:
    message = PushMessage(uuid.uuid4(), "T", "B", topic="unit-37-vi")
    assert fcm_message_json(message) == {
        "topic": "unit-37-vi",
        "notification": {"title": "T", "body": "B"},
        "android": {"priority": "normal"},
        "apns": {"headers": {"apns-priority": "5"}},
    }
    with pytest.raises(ValueError, match="exactly one"):
        PushMessage(uuid.uuid4(), "T", "B", token="t", topic="unit-37-vi")


@asynccontextmanager
async def running(dispatcher: Dispatcher, stop: asyncio.Event) -> AsyncIterator[None]:
    """Run a dispatcher loop in the background for the duration of a block, then stop it and wait for it."""
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_the_worker_entry_point_stops_when_asked(settings: Settings, migrated: Settings) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(run_dispatcher(settings, stop))
    stop.set()
    # Returns (engine disposed, sender closed) instead of dispatching forever.
    await asyncio.wait_for(worker, timeout=10)
    assert worker.exception() is None
