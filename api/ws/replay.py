"""Resume: send a reconnecting client what it missed from the stream, then hand it over to live delivery with
no gap and no duplicate.

The log is read in pages while the connection is not yet live. The connection then goes live (the hub
queues new events for it) and the log is read once more up to its end, which covers whatever arrived in
between; live events at or before the last cursor read from the log are dropped by the sender. The caller
holds the connection's send lock throughout, so no live event can overtake the replay.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from api.ws.connection import BBox, Connection, event_message, in_bbox
from core.events import stream
from core.events.access import EVERY, may_receive
from core.events.stream import CursorKey
from core.identity.principal import Role

PAGE = 500
# Beyond this many log entries the replay stops and reports a gap: the client reloads over HTTP rather
# than making the server scan the whole log.
MAX_SCANNED = 100_000


@dataclass(frozen=True, slots=True)
class Replayed:
    sent: int
    gap: bool
    upto: CursorKey


def matches(
    routes: Mapping[str, frozenset[str]],
    bbox: BBox | None,
    envelope: dict[str, object],
    role: Role | None = None,
) -> bool:
    event_type = str(envelope.get("type", ""))
    units = routes.get(event_type.split(".", 1)[0])
    if not units or not may_receive(role, event_type):
        return False
    if EVERY not in units and envelope.get("unit_code") not in units:
        return False
    if bbox is not None:
        location = envelope.get("location")
        if not isinstance(location, dict):
            return False
        return in_bbox(bbox, location.get("lon"), location.get("lat"))
    return True


class _Reader:
    def __init__(
        self, redis: Redis, key: str, connection: Connection, send: Callable[[str], Awaitable[None]]
    ) -> None:
        self.redis = redis
        self.key = key
        self.connection = connection
        self.send = send
        self.sent = 0
        self.scanned = 0
        self.seen: set[str] = set()

    async def pages(self, after: CursorKey, limit: int | None) -> tuple[CursorKey, bool]:
        """Send the matching entries after `after`; returns the last cursor read and whether the log's end was
        reached (False when `limit` entries were scanned first)."""
        position = after
        while True:
            page = await stream.entries_after(self.redis, self.key, position, PAGE)
            for cursor, raw in page:
                position = cursor
                self.scanned += 1
                await self._offer(cursor, raw)
            if len(page) < PAGE:
                return position, True
            if limit is not None and self.scanned >= limit:
                return position, False

    async def _offer(self, cursor: CursorKey, raw: bytes) -> None:
        try:
            envelope = json.loads(raw)
            event_id = str(envelope["id"])
        except (ValueError, KeyError, TypeError):
            return
        principal = self.connection.principal
        role = None if principal is None else principal.role
        if event_id in self.seen or not matches(self.connection.routes, self.connection.bbox, envelope, role):
            return
        self.seen.add(event_id)
        await self.send(event_message(stream.cursor_text(cursor), raw.decode()))
        self.sent += 1


async def replay(
    redis: Redis, key: str, connection: Connection, after: CursorKey, send: Callable[[str], Awaitable[None]]
) -> Replayed:
    gap = await stream.may_have_lost(redis, key, after)
    reader = _Reader(redis, key, connection, send)
    connection.live = False
    position, complete = await reader.pages(after, MAX_SCANNED)
    if not complete:
        gap = True
        position = await stream.last_cursor(redis, key)
    connection.live = True
    position, _ = await reader.pages(position, None)
    return Replayed(sent=reader.sent, gap=gap, upto=position)
