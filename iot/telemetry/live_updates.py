"""Live device updates, coalesced: at most one per device per tick, and one event per ward per tick.

The consumer writes each device's latest state once per batch; every iot_live_interval_seconds this reads
the rows changed since the previous tick and emits, for each ward, one devices.updated event listing its
devices' newest values. 5,000 devices reporting three times a second thus cost one outbox row per ward
and tick, not one per reading.

The state's updated_at is the consumer's transaction time, which can be a little older than its commit:
each read reaches back OVERLAP before the previous tick so a late commit is not missed, and what was
already sent (per device: seq, last_seen_at, online) is remembered in memory to skip repeats. The memory
is updated only once the tick's transaction has committed (`confirm`), so a rolled-back tick is sent again.

The envelope has no location (one event covers many points; each device carries its own in the data). The
live channel never matches an event without a location against a bbox filter, so a map subscribes to the
devices topic by unit_codes (or unfiltered) and places each device itself.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit, new_event
from iot.telemetry.repository import device_state

OVERLAP = timedelta(seconds=5)
# A ward with more changed devices than this in one tick gets several events, to keep each one small.
MAX_DEVICES_PER_EVENT = 500

Sent = tuple[int | None, datetime | None, bool]


class LiveUpdates:
    """The state of the coalescing between ticks (one instance per active device task)."""

    def __init__(self) -> None:
        self._sent: dict[uuid.UUID, Sent] = {}
        self._pending: dict[uuid.UUID, Sent] = {}
        # Where the next read starts; it moves only when a tick commits, so a failed one is read again.
        self._since: datetime | None = None
        self._tick_since: datetime | None = None
        self._tick_at: datetime | None = None

    async def tick(self, session: AsyncSession, now: datetime) -> int:
        """Emit this tick's events in the caller's transaction; the number of devices in them."""
        since = self._since if self._since is not None else now - OVERLAP
        self._tick_since = since
        rows = await device_state.changed_since(session, since)
        by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._pending = {}
        for row in rows:
            sent: Sent = (row.seq, row.last_seen_at, row.online)
            if self._sent.get(row.device_id) == sent:
                continue
            self._pending[row.device_id] = sent
            by_unit[row.ward_code or row.province_code].append(
                {
                    "id": str(row.device_id),
                    "type": row.type,
                    "ts": None if row.ts is None else row.ts.isoformat(),
                    "seq": row.seq,
                    "metrics": row.metrics,
                    "online": row.online,
                    "location": {"lat": row.lat, "lon": row.lon},
                }
            )
        for unit_code, devices in sorted(by_unit.items()):
            for first in range(0, len(devices), MAX_DEVICES_PER_EVENT):
                await emit(
                    session,
                    new_event(
                        "devices.updated",
                        unit_code=unit_code,
                        subject_id=None,
                        occurred_at=now,
                        data={"devices": devices[first : first + MAX_DEVICES_PER_EVENT]},
                    ),
                )
        self._tick_at = now
        return len(self._pending)

    def confirm(self) -> None:
        """The tick's transaction committed: remember what it sent."""
        self._sent.update(self._pending)
        self._pending = {}
        if self._tick_at is not None:
            self._since = self._tick_at - OVERLAP

    def discard(self) -> None:
        """The tick's transaction failed: send the same again next time."""
        self._pending = {}
        self._since = self._tick_since
