"""The push worker: claims due notifications, sends them, records what became of each.

The worker runs it with `run_dispatcher(settings, stop_event)`; several may run side by side, since each
claims its rows with SKIP LOCKED. Each LISTENs on a connection of its own for the NOTIFY that queuing a
notification sends at commit (core.push.repository.NOTIFY_CHANNEL), so a notification leaves within
milliseconds of its commit; it also polls every POLL_SECONDS, which keeps it going (retries fall due without
any NOTIFY) and covers the time the listening connection is lost and being made again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from core.background.backoff import Backoff
from core.background.repository import keep_alive
from core.background.stopping import wait_any, wait_for_stop
from core.db import create_engine, create_sessionmaker
from core.push import repository
from core.push.models import NotificationStatus, PushLanguage, TargetKind
from core.push.outbox_sender import OutboxPushSender
from core.push.repository import Claimed, Result
from core.push.senders import Outcome, PushMessage, PushSender, SendResult
from core.settings import Settings

logger = logging.getLogger("smartcity.push")

BATCH_SIZE = 200
POLL_SECONDS = 1.0
# Longer than a send can take (firebase-admin's HTTP timeout is 30 s): a claimed row is re-claimed only when
# its dispatcher has died.
LEASE_SECONDS = 300.0
MAX_DELAY_SECONDS = 3600.0
# How often the listening connection is checked: a dead one is noticed and made again within this.
LISTEN_CHECK_SECONDS = 10.0
TOKEN_GONE = "TOKEN_GONE"  # noqa: S105  # an error code, not a secret


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    tokens_deleted: int = 0


def build_sender(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> PushSender:
    """FCM when a service-account file is configured; otherwise the outbox sender."""
    if settings.fcm_credentials_file is None:
        return OutboxPushSender(sessionmaker)
    from core.push.fcm import FcmSender  # firebase-admin is a heavy import, needed only here

    return FcmSender(settings.fcm_credentials_file, endpoint=settings.fcm_endpoint)


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: PushSender,
        *,
        max_attempts: int,
        backoff_seconds: float,
        batch_size: int = BATCH_SIZE,
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        listen_engine: AsyncEngine | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sender = sender
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        # A number in [0, 1): spreads retries so a burst of failures does not come back as a burst.
        self._jitter = jitter
        # Set each time a pass finds nothing due: lets a caller know the queue has drained.
        self.idle = asyncio.Event()
        # Without an engine to listen on, the dispatcher only polls.
        self._listen_engine = listen_engine
        self._wake = asyncio.Event()
        # Set while LISTEN is in force, with the server process of its connection (for logs and tests).
        self.listening = asyncio.Event()
        self.listener_pid: int | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: PushSender,
        *,
        listen_engine: AsyncEngine | None = None,
    ) -> Dispatcher:
        return cls(
            sessionmaker,
            sender,
            max_attempts=settings.push_max_attempts,
            backoff_seconds=settings.push_backoff_seconds,
            listen_engine=listen_engine,
        )

    def retry_delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before the next try after `attempts` failed ones: base * 2**(attempts-1), ±20 %."""
        delay = self._backoff_seconds * 2.0 ** (attempts - 1) * (0.8 + 0.4 * self._jitter())
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, MAX_DELAY_SECONDS)

    async def run(self, stop_event: asyncio.Event) -> None:
        """Dispatch until stop_event is set. An error in a pass is logged and the next pass goes on."""
        listener = None
        if self._listen_engine is not None:
            listener = asyncio.create_task(self._listen(self._listen_engine, stop_event), name="listener")
        try:
            await self._dispatch_until(stop_event)
        finally:
            if listener is not None:
                await listener

    async def _dispatch_until(self, stop_event: asyncio.Event) -> None:
        while not stop_event.is_set():
            # Cleared before the pass, so that a commit landing during it still wakes the next wait.
            self._wake.clear()
            try:
                report = await self.dispatch_once()
            except Exception:
                logger.exception("push dispatch pass failed")
                report = None
            if report is not None and report.claimed >= self._batch_size:
                continue  # a full batch: more may be due right now
            if report is not None and report.claimed == 0:
                self.idle.set()
            await wait_any(stop_event, self._wake, seconds=self._poll_seconds)

    async def _listen(self, engine: AsyncEngine, stop_event: asyncio.Event) -> None:
        """Keep a connection LISTENing until stop_event is set, making it again (with backoff) when lost."""
        backoff = Backoff()
        while not stop_event.is_set():
            try:
                async with engine.connect() as connection:
                    try:
                        await self._listen_on(connection, stop_event)
                        backoff.reset()
                    finally:
                        # LISTEN belongs to the connection's session: never hand it back to the pool.
                        with suppress(Exception):
                            await connection.invalidate()
            except Exception:
                logger.warning("push listener lost its connection; polling meanwhile", exc_info=True)
            if not stop_event.is_set():
                await wait_for_stop(stop_event, backoff.next())

    async def _listen_on(self, connection: AsyncConnection, stop_event: asyncio.Event) -> None:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        lost = asyncio.Event()

        def on_notify(*_: object) -> None:
            self._wake.set()

        driver.add_termination_listener(lambda *_: lost.set())
        # Straight on the driver, outside any transaction, so that LISTEN takes effect at once.
        await driver.add_listener(repository.NOTIFY_CHANNEL, on_notify)
        self.listener_pid = driver.get_server_pid()
        self.listening.set()
        # Whatever was committed while nobody listened is due now.
        self._wake.set()
        try:
            while not stop_event.is_set() and not lost.is_set():
                await wait_any(stop_event, lost, seconds=LISTEN_CHECK_SECONDS)
                if not stop_event.is_set() and not lost.is_set():
                    await keep_alive(connection)  # raises when the connection died unnoticed
        finally:
            self.listening.clear()
            self.listener_pid = None
            with suppress(Exception):
                await driver.remove_listener(repository.NOTIFY_CHANNEL, on_notify)
        if lost.is_set() and not stop_event.is_set():
            raise ConnectionError("the listening connection was closed")

    async def dispatch_once(self) -> DispatchReport:
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            claimed = await repository.claim_due(
                session, now=now, lease_until=now + self._lease, limit=self._batch_size
            )
        report = DispatchReport(claimed=len(claimed))
        if not claimed:
            return report
        self.idle.clear()
        answers = await self._send(claimed)
        finished = self._clock()
        results: list[Result] = []
        unregistered: list[tuple[uuid.UUID, str]] = []
        for item in claimed:
            answer = answers[item.id]
            result = self._result(item, answer, finished)
            results.append(result)
            if answer.outcome is Outcome.UNREGISTERED and item.device is not None:
                unregistered.append((item.device.id, item.device.token))
            if result.status is NotificationStatus.SENT:
                report.sent += 1
            elif result.status is NotificationStatus.PENDING:
                report.retried += 1
            elif result.status is NotificationStatus.FAILED:
                report.failed += 1
            else:
                report.dropped += 1
            if result.status is not NotificationStatus.SENT:
                logger.info(
                    "push %s: %s (%s), attempt %d", item.id, result.status.value, answer.error, item.attempts
                )
        async with self._sessionmaker() as session, session.begin():
            report.tokens_deleted = await repository.delete_tokens(session, unregistered)
            await repository.record_results(session, results)
        return report

    async def _send(self, claimed: Sequence[Claimed]) -> dict[uuid.UUID, SendResult]:
        answers: dict[uuid.UUID, SendResult] = {}
        to_tokens: list[PushMessage] = []
        to_topics: list[PushMessage] = []
        for item in claimed:
            message = _message(item)
            if message is None:
                answers[item.id] = SendResult(Outcome.PERMANENT, error=TOKEN_GONE)
            elif message.token is not None:
                to_tokens.append(message)
            else:
                to_topics.append(message)
        if to_tokens:
            try:
                results = await self._sender.send_to_tokens(to_tokens)
                if len(results) != len(to_tokens):
                    raise RuntimeError(f"{len(results)} results for {len(to_tokens)} messages")
            except Exception as exc:  # a broken sender must not stop the dispatcher; the batch is retried
                logger.exception("push sender failed on %d token messages", len(to_tokens))
                results = [_sender_error(exc)] * len(to_tokens)
            answers.update(zip((m.notification_id for m in to_tokens), results, strict=True))
        for message in to_topics:
            try:
                answers[message.notification_id] = await self._sender.send_to_topic(message)
            except Exception as exc:
                logger.exception("push sender failed on topic %s", message.topic)
                answers[message.notification_id] = _sender_error(exc)
        return answers

    def _result(self, item: Claimed, answer: SendResult, now: datetime) -> Result:
        status = NotificationStatus.DROPPED
        next_attempt_at = now
        if answer.outcome is Outcome.OK:
            return Result(
                item.id,
                item.attempts,
                NotificationStatus.SENT,
                now,
                message_id=answer.message_id,
                sent_at=now,
            )
        if answer.outcome is Outcome.TRANSIENT:
            if item.attempts >= self._max_attempts:
                status = NotificationStatus.FAILED
            else:
                status = NotificationStatus.PENDING
                next_attempt_at = now + timedelta(seconds=self.retry_delay(item.attempts, answer.retry_after))
        return Result(item.id, item.attempts, status, next_attempt_at, last_error=answer.error)


def _message(item: Claimed) -> PushMessage | None:
    """The message of a claimed row in its reader's language; None when its device is gone."""
    token: str | None = None
    if item.target_kind is TargetKind.TOPIC:
        language = item.language or PushLanguage.VI
    else:
        # The device row may have been deleted, or its token taken over by another account since enqueue.
        if item.device is None or item.device.user_id != item.user_id:
            return None
        language = item.device.language
        token = item.device.token
    english = language is PushLanguage.EN
    return PushMessage(
        notification_id=item.id,
        title=item.title_en if english else item.title_vi,
        body=item.body_en if english else item.body_vi,
        data=item.data,
        high_priority=item.high_priority,
        token=token,
        topic=item.topic if token is None else None,
    )


def _sender_error(exc: BaseException) -> SendResult:
    return SendResult(Outcome.TRANSIENT, error=f"SENDER_ERROR: {type(exc).__name__}")


async def run_dispatcher(settings: Settings, stop_event: asyncio.Event) -> None:
    """The worker process's body: its own engine and sender, closed when stop_event ends the loop."""
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    sender = build_sender(settings, sessionmaker)
    try:
        await Dispatcher.from_settings(settings, sessionmaker, sender, listen_engine=engine).run(stop_event)
    finally:
        await sender.close()
        await engine.dispose()
