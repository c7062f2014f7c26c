"""One WebSocket client as the hub sees it: what it listens to, and a bounded queue of what to send.

The hub only ever calls `offer` and `tick`, which never wait: a client that reads too slowly fills its own
queue and is marked overflowed (the session then closes it with 4409), and no other client is slowed down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.events.access import may_receive
from core.events.stream import CursorKey
from core.identity.principal import Principal
from mobile_contract.events import CloseCode

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    cursor: CursorKey
    text: str  # the complete "event" message, encoded once for all clients
    lon: float | None
    lat: float | None
    # Set for the few types whose audience is narrower than their topic (core.events.access.TYPE_AUDIENCE).
    type: str | None = None


def event_message(cursor: str, envelope_json: str) -> str:
    """The event message around an envelope already serialised by the relay, without parsing it again."""
    return f'{{"type":"event","cursor":"{cursor}","event":{envelope_json}}}'


def in_bbox(bbox: BBox, lon: float | None, lat: float | None) -> bool:
    if lon is None or lat is None:
        return False
    min_lon, min_lat, max_lon, max_lat = bbox
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


# Queued in place of an event when a heartbeat is due, so that the one sender sends both in order.
HEARTBEAT = None


class Connection:
    def __init__(self, queue_size: int, close: Callable[[int, str], None]) -> None:
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=queue_size)
        # topic -> routing unit keys (core.events.access.routing_units); maintained by the hub.
        self.routes: Mapping[str, frozenset[str]] = {}
        self.bbox: BBox | None = None
        # False while a resume replays the log: live events are then taken from the log instead.
        self.live = False
        self.overflowed = False
        # time.monotonic() deadlines, checked by the hub's ticker.
        self.expires_at = 0.0
        self.next_heartbeat = 0.0
        # Whose connection it is, once signed in: the hub checks that their sessions were not ended.
        self.principal: Principal | None = None
        # Asks the session to close with a code and reason; never waits.
        self.close = close

    def offer(self, event: LiveEvent) -> None:
        if not self.live or self.overflowed:
            return
        if event.type is not None:
            role = None if self.principal is None else self.principal.role
            if not may_receive(role, event.type):
                return
        if self.bbox is not None and not in_bbox(self.bbox, event.lon, event.lat):
            return
        self._put(event)

    def tick(self, now: float, heartbeat_seconds: float) -> None:
        """Called about every second: end the connection when its token has expired, or queue a heartbeat
        when one is due."""
        if now >= self.expires_at:
            self.close(CloseCode.UNAUTHENTICATED, "token_expired")
        elif now >= self.next_heartbeat and not self.overflowed:
            self.next_heartbeat = now + heartbeat_seconds
            self._put(HEARTBEAT)

    def _put(self, item: LiveEvent | None) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            self.close(CloseCode.SLOW_CONSUMER, "slow_consumer")
