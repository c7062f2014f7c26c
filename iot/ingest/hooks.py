"""What the consumer hands to a batch hook: the readings and detections this batch stored for the first time.

The hook runs inside the batch's transaction, on the consumer's own connection, after the rows are written
and before the commit: what it writes commits with the readings or not at all, and a redelivered message
(already stored, so absent from the batch) is never handed to it twice. The command that starts the
consumer installs the hook (the operations centre's rules); iot itself knows nothing of what it does.

A hook that raises fails the batch like any database error would: it is retried, so a hook must be as
idempotent as the rest of the batch. A hook may hand back a function to run once the transaction has
committed (and never if it did not): what it keeps in memory about the rows it wrote is true only then.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


class StoredReading(NamedTuple):
    # A tuple: thousands are made per second, and a named tuple is the cheapest record Python makes.
    device_id: uuid.UUID
    ts: datetime
    seq: int
    metrics: dict[str, float]


@dataclass(frozen=True, slots=True)
class StoredDetection:
    device_id: uuid.UUID
    ts: datetime
    seq: int
    type: str
    confidence: float
    snapshot_key: str | None


@dataclass(slots=True)
class StoredBatch:
    readings: list[StoredReading] = field(default_factory=list)
    detections: list[StoredDetection] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.readings or self.detections)


# Run after the commit of the batch whose hook returned it.
AfterCommit = Callable[[], None]
# (the batch's asyncpg connection, inside its transaction; what was stored)
BatchHook = Callable[[Any, StoredBatch], Awaitable[AfterCommit | None]]
