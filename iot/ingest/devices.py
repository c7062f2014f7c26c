"""The consumer's copy of the device registry: what it needs to accept a message, without a query per message.

Loaded whole at start and reloaded every `REFRESH_SECONDS`. An id the copy does not know is looked up in the
database once before the message is called unknown (a device registered a second ago must work at once); an
id found nowhere is remembered as unknown for `NEGATIVE_SECONDS`, so a stream of messages from a stranger
costs one query per period, not one per message.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from iot.ingest import repository
from iot.types import CAMERA_TYPES, DeviceStatus

REFRESH_SECONDS: Final = 10.0
NEGATIVE_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: uuid.UUID
    type: str
    status: str

    @property
    def is_camera(self) -> bool:
        return self.type in _CAMERA_VALUES

    @property
    def decommissioned(self) -> bool:
        return self.status == DeviceStatus.DECOMMISSIONED.value


_CAMERA_VALUES: Final = frozenset(t.value for t in CAMERA_TYPES)


class DeviceCache:
    """Keyed by the id as it appears in topics (canonical lowercase UUID text)."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._known: dict[str, DeviceInfo] = {}
        self._unknown: dict[str, float] = {}
        self._loaded_at: float | None = None
        self._clock = clock

    def __len__(self) -> int:
        return len(self._known)

    def get(self, ref: str) -> DeviceInfo | None:
        return self._known.get(ref)

    def add(self, info: DeviceInfo) -> None:
        self._known[str(info.id)] = info
        self._unknown.pop(str(info.id), None)

    def due(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= REFRESH_SECONDS

    async def refresh(self, connection: Any) -> None:
        """Reload the whole registry (asyncpg connection)."""
        rows = await repository.all_devices(connection)
        self._known = {str(row["id"]): _info(row) for row in rows}
        self._unknown.clear()
        self._loaded_at = self._clock()

    async def resolve(self, connection: Any, refs: Iterable[str]) -> None:
        """Look up the ids not in the copy (and not recently found unknown) in the database."""
        now = self._clock()
        missing = {ref for ref in refs if ref not in self._known and self._unknown.get(ref, 0.0) <= now}
        if not missing:
            return
        rows = await repository.devices_by_id(connection, list(missing))
        for row in rows:
            info = _info(row)
            self.add(info)
            missing.discard(str(info.id))
        for ref in missing:
            self._unknown[ref] = now + NEGATIVE_SECONDS


def _info(row: Any) -> DeviceInfo:
    return DeviceInfo(row["id"], row["type"], row["status"])
