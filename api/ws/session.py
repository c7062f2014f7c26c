"""One WebSocket connection: authentication, the client's messages, and the single sender of events.

Authentication is the first message, {"type": "auth", "token": ...}, within ws_auth_timeout_seconds (or an
`Authorization: Bearer` header on the handshake, for clients that can set one). Refused messages get an
error message and change nothing; what cannot go on closes the connection with a code from CloseCode.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.websockets import WebSocket, WebSocketDisconnect

from api.ws.connection import HEARTBEAT, Connection
from api.ws.hub import CLOSES, CONNECTIONS, Hub
from api.ws.replay import replay
from core.errors import TITLES, Language, ProblemError, pick_language
from core.events import access
from core.events.stream import CursorKey, cursor_key
from core.identity.principal import Principal, Role
from core.identity.revocation import sessions_ended
from core.identity.tokens import verify_access_token
from core.settings import Settings
from mobile_contract.events import (
    CLIENT_MESSAGE,
    AuthMessage,
    CloseCode,
    ErrorMessage,
    Filters,
    HeartbeatMessage,
    PingMessage,
    PongMessage,
    ReadyMessage,
    ResumedMessage,
    SubscribedMessage,
    SubscribeMessage,
    Topic,
    UnsubscribeMessage,
)

log = logging.getLogger("smartcity.ws")

# How long a close frame may wait for a client that stopped reading to make room for it; the connection no
# longer receives events meanwhile, and its queue is emptied.
CLOSE_TIMEOUT_SECONDS = 30.0
# More refused messages than this within the window closes the connection (4400).
ERROR_BUDGET = 10
ERROR_WINDOW_SECONDS = 60.0
# Events sent per turn of the sender before it looks at the clock again.
SEND_BURST = 64


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    detail: str


class Session:
    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.ws = websocket
        self.hub = hub
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.language: Language = pick_language(websocket.headers.get("accept-language"))
        self.connection = Connection(settings.ws_send_queue_size, self.request_close)
        self.principal: Principal | None = None
        self.own_units: frozenset[str] = frozenset()
        self.expires_at = datetime.now(UTC)
        self.topics: list[Topic] = []
        self.filters: Filters | None = None
        self.delivered_any = False
        self.replayed_upto: CursorKey | None = None
        self._send_lock = asyncio.Lock()
        self._closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._errors: deque[float] = deque()

    # -- Life cycle ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        await self.ws.accept()
        CONNECTIONS.inc()
        try:
            if await self._authenticate():
                await self._send_model(self._ready())
                await self._converse()
        except (WebSocketDisconnect, OSError):
            pass
        except Exception:  # e.g. the database is unreachable while reading the officer's units
            log.exception("live channel error", extra=self._who())
            self.request_close(CloseCode.INTERNAL_ERROR, "internal_error")
        finally:
            CONNECTIONS.dec()
            self.hub.detach(self.connection)
        if self._closing.done():
            await self._close(*self._closing.result())

    def request_close(self, code: int, reason: str) -> None:
        if not self._closing.done():
            self._closing.set_result((code, reason))

    async def _converse(self) -> None:
        receiver = asyncio.create_task(self._receive_loop())
        sender = asyncio.create_task(self._send_loop())
        try:
            waiting: set[asyncio.Future[Any]] = {receiver, sender, self._closing}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.hub.detach(self.connection)
            while not self.connection.queue.empty():
                self.connection.queue.get_nowait()
            for task in (receiver, sender):
                task.cancel()
            for result in await asyncio.gather(receiver, sender, return_exceptions=True):
                if isinstance(result, Exception) and not isinstance(result, WebSocketDisconnect | OSError):
                    log.error("live channel error", exc_info=result, extra=self._who())
                    self.request_close(CloseCode.INTERNAL_ERROR, "internal_error")

    async def _close(self, code: int, reason: str) -> None:
        CLOSES.labels(reason).inc()
        level = logging.WARNING if code == CloseCode.SLOW_CONSUMER else logging.INFO
        log.log(level, "live channel closed", extra={**self._who(), "close_code": code, "reason": reason})
        try:
            # Bounded: a client that stopped reading cannot take the close frame either.
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.ws.close(code, reason)
        except (TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
            pass

    # -- Authentication ------------------------------------------------------------------------------------

    async def _authenticate(self) -> bool:
        header = self.ws.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                self.request_close(CloseCode.UNAUTHENTICATED, "unauthenticated")
                return False
            return await self._accept_token(token.strip())
        try:
            async with asyncio.timeout(self.settings.ws_auth_timeout_seconds):
                message = await self.ws.receive()
        except TimeoutError:
            log.warning("live channel: no auth message in time", extra=self._who())
            self.request_close(CloseCode.AUTH_TIMEOUT, "auth_timeout")
            return False
        if message["type"] == "websocket.disconnect":
            return False
        parsed = self._parse(message)
        if not isinstance(parsed, AuthMessage):
            if not self._closing.done():
                log.warning("live channel: first message is not auth", extra=self._who())
                self.request_close(CloseCode.UNAUTHENTICATED, "unauthenticated")
            return False
        if parsed.language is not None:
            self.language = parsed.language
        return await self._accept_token(parsed.token)

    async def _verify(self, token: str) -> Principal | None:
        """The token's principal, or None with the connection closing (4401)."""
        try:
            principal = verify_access_token(self.settings, token)
        except ProblemError as exc:
            log.warning("live channel: token refused", extra={**self._who(), "reason": exc.code})
            self.request_close(CloseCode.UNAUTHENTICATED, exc.code)
            return None
        try:
            ended = await sessions_ended(self.hub.redis, principal)
        except (RedisError, OSError):
            # As the HTTP policy does: closed for staff (IOC screens reach whole units), open for citizens.
            if principal.is_staff:
                log.error("cannot check ended sessions; refusing a staff token", exc_info=True)
                self.request_close(CloseCode.TRY_AGAIN_LATER, "session_check_unavailable")
                return None
            log.warning("cannot check ended sessions; accepting a citizen token", exc_info=True)
            ended = False
        if ended:
            log.warning("live channel: token of an ended session", extra=self._who())
            self.request_close(CloseCode.UNAUTHENTICATED, "invalid_token")
            return None
        return principal

    async def _accept_token(self, token: str) -> bool:
        principal = await self._verify(token)
        if principal is None:
            return False
        self.principal = principal
        self.connection.principal = principal
        self._set_expiry(token)
        self.connection.next_heartbeat = time.monotonic() + self.settings.ws_heartbeat_seconds
        self.hub.attach(self.connection)
        if principal.role in (Role.OFFICER, Role.FIELD_STAFF):
            async with self.sessionmaker() as session:
                self.own_units = await access.own_units(session, principal)
        log.info("live channel authenticated", extra=self._who())
        return True

    def _set_expiry(self, token: str) -> None:
        self.expires_at = _expiry(token)
        seconds_left = (self.expires_at - datetime.now(UTC)).total_seconds()
        self.connection.expires_at = time.monotonic() + seconds_left

    def _ready(self) -> ReadyMessage:
        assert self.principal is not None
        return ReadyMessage(
            role=self.principal.role.value,
            unit_code=self.principal.unit_code,
            topics=access.allowed_topics(self.principal.role),
            expires_at=self.expires_at,
            heartbeat_seconds=self.settings.ws_heartbeat_seconds,
            max_message_bytes=self.settings.ws_max_message_bytes,
        )

    # -- The client's messages -----------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while not self._closing.done():
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            parsed = self._parse(message)
            if isinstance(parsed, Refusal):
                await self._refuse(parsed)
            elif parsed is not None:
                await self._handle(parsed)

    def _parse(self, message: Any) -> BaseModel | Refusal | None:
        """The client message, why it is refused, or None when it ends the connection (too big)."""
        text = message.get("text")
        if text is None:
            return Refusal("invalid_message", "binary frames are not accepted: send JSON text")
        limit = self.settings.ws_max_message_bytes
        if len(text) > limit // 4 and len(text.encode()) > limit:
            log.warning("live channel: message too big", extra={**self._who(), "bytes": len(text.encode())})
            self.request_close(CloseCode.MESSAGE_TOO_BIG, "message_too_big")
            return None
        try:
            parsed: BaseModel = CLIENT_MESSAGE.validate_json(text)
        except ValidationError as exc:
            return Refusal("invalid_message", _summary(exc))
        return parsed

    async def _handle(self, message: BaseModel) -> None:
        if isinstance(message, SubscribeMessage):
            await self._subscribe(message)
        elif isinstance(message, UnsubscribeMessage):
            await self._unsubscribe(message)
        elif isinstance(message, PingMessage):
            await self._send_model(PongMessage(at=datetime.now(UTC)))
        elif isinstance(message, AuthMessage):
            await self._reauthenticate(message)

    async def _reauthenticate(self, message: AuthMessage) -> None:
        """A fresh token for the same account, role and unit extends the connection."""
        principal = await self._verify(message.token)
        if principal is None:
            return
        current = self.principal
        assert current is not None
        if (principal.user_id, principal.role, principal.unit_code) != (
            current.user_id,
            current.role,
            current.unit_code,
        ):
            log.warning("live channel: token of another account", extra=self._who())
            self.request_close(CloseCode.UNAUTHENTICATED, "invalid_token")
            return
        self._set_expiry(message.token)
        self.principal = self.connection.principal = principal
        await self._send_model(self._ready())

    async def _subscribe(self, message: SubscribeMessage) -> None:
        assert self.principal is not None
        reach = access.TOPIC_ACCESS[self.principal.role]
        forbidden = sorted({topic.value for topic in message.topics if topic not in reach})
        if forbidden:
            await self._refuse(
                Refusal(
                    "forbidden_topic", f"{self.principal.role.value} may not receive: {', '.join(forbidden)}"
                )
            )
            return
        if message.resume_after is not None and self.delivered_any:
            await self._refuse(
                Refusal(
                    "resume_not_allowed", "events were already sent on this connection: reconnect to resume"
                )
            )
            return
        wanted = None
        if message.filters is not None and message.filters.unit_codes is not None:
            wanted = frozenset(message.filters.unit_codes)
        routes = {
            topic.value: access.routing_units(reach[topic], self.own_units, wanted)
            for topic in dict.fromkeys(message.topics)
        }
        self.topics = list(dict.fromkeys(message.topics))
        self.filters = message.filters
        async with self._send_lock:
            self.connection.bbox = None if message.filters is None else message.filters.bbox
            self.hub.route(self.connection, routes)
            if message.resume_after is None:
                self.connection.live = True
            await self._send_now(self._subscribed())
            if message.resume_after is not None:
                result = await replay(
                    self.hub.redis,
                    self.hub.stream,
                    self.connection,
                    cursor_key(message.resume_after),
                    self._send_event_now,
                )
                self.replayed_upto = result.upto
                await self._send_now(ResumedMessage(replayed=result.sent, gap=result.gap).model_dump_json())

    async def _unsubscribe(self, message: UnsubscribeMessage) -> None:
        dropped = {topic.value for topic in message.topics}
        self.topics = [topic for topic in self.topics if topic.value not in dropped]
        routes = {topic: units for topic, units in self.connection.routes.items() if topic not in dropped}
        async with self._send_lock:
            self.hub.route(self.connection, routes)
            await self._send_now(self._subscribed())

    def _subscribed(self) -> str:
        return SubscribedMessage(topics=self.topics, filters=self.filters).model_dump_json()

    async def _refuse(self, refusal: Refusal) -> None:
        code, detail = refusal.code, refusal.detail
        log.warning("live channel: message refused", extra={**self._who(), "code": code, "detail": detail})
        now = time.monotonic()
        self._errors.append(now)
        while self._errors and self._errors[0] < now - ERROR_WINDOW_SECONDS:
            self._errors.popleft()
        if len(self._errors) > ERROR_BUDGET:
            self.request_close(CloseCode.TOO_MANY_ERRORS, "too_many_errors")
            return
        title = TITLES[code].in_(self.language)
        await self._send_model(ErrorMessage(code=code, title=title, detail=detail or None))

    # -- Sending -------------------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        """The only sender of live events and heartbeats (the hub queues both)."""
        queue = self.connection.queue
        while True:
            burst = [await queue.get()]
            while len(burst) < SEND_BURST and not queue.empty():
                burst.append(queue.get_nowait())
            async with self._send_lock:
                for item in burst:
                    if item is HEARTBEAT:
                        await self.ws.send_text(HeartbeatMessage(at=datetime.now(UTC)).model_dump_json())
                    elif self.replayed_upto is None or item.cursor > self.replayed_upto:
                        # (at or before replayed_upto: already sent from the log by the resume)
                        await self._send_event_now(item.text)

    async def _send_event_now(self, text: str) -> None:
        await self.ws.send_text(text)
        self.delivered_any = True

    async def _send_now(self, text: str) -> None:
        """Send while already holding the send lock."""
        await self.ws.send_text(text)

    async def _send_model(self, message: BaseModel) -> None:
        async with self._send_lock:
            await self.ws.send_text(message.model_dump_json())

    def _who(self) -> dict[str, Any]:
        client = self.ws.client
        who: dict[str, Any] = {"client": f"{client.host}:{client.port}" if client else None}
        if self.principal is not None:
            who.update(user_id=str(self.principal.user_id), role=self.principal.role.value)
        return who


def _expiry(token: str) -> datetime:
    # Read after verify_access_token accepted the token, so the signature is already checked.
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(int(claims["exp"]), UTC)


def _summary(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "message"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)
