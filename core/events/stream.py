"""The Redis Stream of events: how an event is stored in it, and the reads the gateway needs.

Each entry holds the envelope as JSON (and its type, for people reading the stream with redis-cli). The entry
id is the event's cursor: ordered, assigned by Redis when the relay appends, and the same for every API
process, so "everything after cursor X" is one XRANGE wherever a client reconnects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from mobile_contract.events import EventEnvelope

ENVELOPE_FIELD = b"envelope"
TYPE_FIELD = b"type"
ORIGIN = (0, 0)

CursorKey = tuple[int, int]


def cursor_key(cursor: str | bytes) -> CursorKey:
    """A stream entry id as a comparable pair (milliseconds, sequence)."""
    text = cursor.decode() if isinstance(cursor, bytes) else cursor
    millis, _, sequence = text.partition("-")
    return int(millis), int(sequence or 0)


def cursor_text(key: CursorKey) -> str:
    return f"{key[0]}-{key[1]}"


async def append(redis: Redis, stream: str, envelopes: Sequence[EventEnvelope], maxlen: int) -> list[str]:
    """Append the events in one MULTI/EXEC: a connection lost midway appends none of them, which keeps
    duplicates (the relay retries the batch) to the rare loss of EXEC's reply."""
    async with redis.pipeline(transaction=True) as pipe:
        for envelope in envelopes:
            pipe.xadd(
                stream,
                {TYPE_FIELD: envelope.type, ENVELOPE_FIELD: envelope.model_dump_json()},
                maxlen=maxlen,
                approximate=True,
            )
        ids: list[Any] = await pipe.execute()
    return [entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id) for entry_id in ids]


async def last_cursor(redis: Redis, stream: str) -> CursorKey:
    """The id of the newest entry (0-0 for an empty or missing stream): where a live reader starts."""
    newest: Any = await redis.xrevrange(stream, count=1)
    return cursor_key(newest[0][0]) if newest else ORIGIN


async def may_have_lost(redis: Redis, stream: str, after: CursorKey) -> bool:
    """Whether entries newer than `after` may have left the stream (trimmed by MAXLEN, or deleted).

    Trimming removes the oldest entries, so a cursor older than the oldest entry kept may have missed some.
    When the cursor itself was the last entry trimmed this says "may" where nothing was lost: the client
    then reloads over HTTP, which is safe.
    """
    try:
        info: dict[Any, Any] = await redis.xinfo_stream(stream)
    except ResponseError:  # no such key: nothing was ever added, nothing lost
        return False

    def value(name: str) -> Any:
        return info.get(name, info.get(name.encode()))

    if int(value("entries-added") or 0) == int(value("length") or 0):
        return False  # nothing ever removed
    if after < cursor_key(value("max-deleted-entry-id") or b"0-0"):
        return True
    if int(value("length") or 0) == 0:
        return after < cursor_key(value("last-generated-id") or b"0-0")
    return after < cursor_key(value("recorded-first-entry-id") or b"0-0")


async def entries_after(
    redis: Redis, stream: str, after: CursorKey, count: int
) -> list[tuple[CursorKey, bytes]]:
    """Up to `count` entries strictly after `after`, oldest first, as (cursor, envelope JSON)."""
    rows: Any = await redis.xrange(stream, min=f"({cursor_text(after)}", max="+", count=count)
    return [(cursor_key(entry_id), bytes(fields.get(ENVELOPE_FIELD, b""))) for entry_id, fields in rows or ()]
