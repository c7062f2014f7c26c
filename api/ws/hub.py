"""Per-process fan-out: one task reads the event stream and hands each event to the local clients that listen.

Every API process runs one hub, and every hub reads the whole stream (XREAD, no consumer group): an event
relayed once reaches the clients of every process. Clients are indexed by (topic, unit), so an event costs
work only for the clients it goes to. When Redis is unreachable the hub retries from where it stopped;
clients stay connected and receive what they missed when it returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.ws.connection import Connection, LiveEvent, event_message
from core.background.backoff import Backoff
from core.events import stream
from core.events.access import EVERY, TYPE_AUDIENCE
from core.events.stream import CursorKey, cursor_key
from core.http.resources import open_redis
from core.identity.revocation import sessions_ended
from core.settings import Settings
from mobile_contract.events import CloseCode

log = logging.getLogger("smartcity.ws.hub")

BLOCK_MILLISECONDS = 5000
READ_COUNT = 1000
# Event ids remembered to drop a duplicate the relay may append after a crash; a few seconds of traffic.
RECENT_IDS = 20_000
TICK_SECONDS = 1.0
# How often a live connection's account is checked for ended sessions (account deleted, stolen refresh token):
# one Redis GET per connection each time.
REVOCATION_CHECK_SECONDS = 30.0

EVENTS_READ = Counter("smartcity_ws_events_read_total", "Events the hub read from the stream")
CONNECTIONS = Gauge("smartcity_ws_connections", "Open WebSocket connections on this process")
CLOSES = Counter("smartcity_ws_closes_total", "WebSocket connections closed by the server", ["reason"])


class Hub:
    def __init__(
        self, settings: Settings, redis: Redis, *, revocation_check_seconds: float = REVOCATION_CHECK_SECONDS
    ) -> None:
        self.settings = settings
        self._revocation_check_seconds = revocation_check_seconds
        self.redis = redis
        self.stream = settings.events_stream
        # topic -> unit key -> connections; the unit key EVERY holds clients of every unit.
        self._routes: dict[str, dict[str, set[Connection]]] = {}
        # Every signed-in connection, for the ticker.
        self._connections: set[Connection] = set()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        # A read is dispatched in one go, before any sender runs: reading at most half a client's queue at a
        # time lets a client that keeps up never overflow, however far behind the hub is.
        self._read_count = max(1, min(READ_COUNT, settings.ws_send_queue_size // 2))
        # The last entry read; None until the start position is known.
        self.position: CursorKey | None = None

    async def start(self) -> None:
        # Start from the current end of the stream when Redis answers now; otherwise the reader finds it.
        with suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(self.settings.ready_timeout_seconds):
                self.position = await stream.last_cursor(self.redis, self.stream)
        self._tasks = [
            asyncio.create_task(self._read(), name="ws-hub-reader"),
            asyncio.create_task(self._tick(), name="ws-hub-ticker"),
            asyncio.create_task(self._check_sessions(), name="ws-hub-sessions"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def attach(self, connection: Connection) -> None:
        self._connections.add(connection)

    def detach(self, connection: Connection) -> None:
        self._connections.discard(connection)
        self.route(connection, {})

    async def _tick(self) -> None:
        """Heartbeats and token expiry for every connection from one timer, rather than a timer per connection
        re-armed at every event."""
        every = self.settings.ws_heartbeat_seconds
        interval = min(TICK_SECONDS, every / 2)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for connection in tuple(self._connections):
                connection.tick(now, every)

    async def _check_sessions(self) -> None:
        """Close the connections of accounts whose sessions were ended since they signed in, as the HTTP
        policy refuses their tokens."""
        while True:
            await asyncio.sleep(self._revocation_check_seconds)
            unchecked = 0
            for connection in tuple(self._connections):
                principal = connection.principal
                if principal is None:
                    continue
                try:
                    ended = await sessions_ended(self.redis, principal)
                except (RedisError, OSError):
                    # As the HTTP policy does: closed for staff (IOC screens reach whole units), open for
                    # citizens, whose tokens live minutes; each connection is checked on its own.
                    unchecked += 1
                    if principal.is_staff:
                        connection.close(CloseCode.TRY_AGAIN_LATER, "session_check_unavailable")
                    continue
                if ended:
                    connection.close(CloseCode.UNAUTHENTICATED, "invalid_token")
            if unchecked:
                log.warning("cannot check ended sessions", extra={"connections": unchecked})

    # -- Routing -------------------------------------------------------------------------------------------

    def route(self, connection: Connection, routes: Mapping[str, frozenset[str]]) -> None:
        """Make `connection` listen on exactly `routes` (topic -> unit keys)."""
        for topic, units in connection.routes.items():
            by_unit = self._routes.get(topic, {})
            for unit in units:
                listeners = by_unit.get(unit)
                if listeners is not None:
                    listeners.discard(connection)
                    if not listeners:
                        del by_unit[unit]
        for topic, units in routes.items():
            by_unit = self._routes.setdefault(topic, {})
            for unit in units:
                by_unit.setdefault(unit, set()).add(connection)
        connection.routes = dict(routes)

    # -- Reading -------------------------------------------------------------------------------------------

    async def _read(self) -> None:
        backoff = Backoff()
        while True:
            try:
                if self.position is None:
                    self.position = await stream.last_cursor(self.redis, self.stream)
                after = stream.cursor_text(self.position)
                reply: Any = await self.redis.xread(
                    {self.stream: after}, count=self._read_count, block=BLOCK_MILLISECONDS
                )
                for _, entries in reply or ():
                    for entry_id, fields in entries:
                        self.position = cursor_key(entry_id)
                        self._dispatch(entry_id, fields)
                backoff.reset()
            except (RedisError, OSError) as exc:
                delay = backoff.next()
                log.warning(
                    "cannot read the event stream; retrying",
                    extra={"error": f"{type(exc).__name__}: {exc}", "retry_in_seconds": delay},
                )
                await asyncio.sleep(delay)
            except Exception:  # one bad entry or bug must not stop the live channel of the whole process
                log.exception("hub reader error")
                await asyncio.sleep(backoff.next())

    def _dispatch(self, entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> None:
        EVENTS_READ.inc()
        raw = fields.get(stream.ENVELOPE_FIELD, b"").decode()
        cursor = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            envelope = json.loads(raw)
            event_id = str(envelope["id"])
            event_type = str(envelope["type"])
            topic = event_type.split(".", 1)[0]
            unit = envelope.get("unit_code")
            location = envelope.get("location") or {}
            lon, lat = location.get("lon"), location.get("lat")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.error("stream entry is not an event; skipped", extra={"cursor": cursor})
            return
        if self._seen(event_id):
            return
        by_unit = self._routes.get(topic)
        if not by_unit:
            return
        event = LiveEvent(
            cursor=cursor_key(cursor),
            text=event_message(cursor, raw),
            lon=lon,
            lat=lat,
            type=event_type if event_type in TYPE_AUDIENCE else None,
        )
        for connection in by_unit.get(EVERY, ()):
            connection.offer(event)
        if unit:
            for connection in by_unit.get(unit, ()):
                connection.offer(event)

    def _seen(self, event_id: str) -> bool:
        if event_id in self._recent:
            return True
        self._recent[event_id] = None
        if len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
        return False


@asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[Hub]:
    """The process's hub, with its own Redis client: XREAD BLOCK holds a connection longer than the shared
    client's socket timeout allows."""
    # Sign-ins on the socket check ended sessions on it too: a bounded pool that waits when busy.
    redis = open_redis(settings, socket_timeout=BLOCK_MILLISECONDS / 1000 + settings.ready_timeout_seconds)
    hub = Hub(settings, redis)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
        await redis.aclose()
