"""The consumer's registry reads for its device cache (iot.ingest.devices), on its own asyncpg connection.

The batches' writes (COPY, merge, dead letters) are in iot.ingest.writer, on the same connection.
"""

from __future__ import annotations

from typing import Any, Final

_SELECT: Final = "SELECT id, type, status FROM devices"
_SELECT_SOME: Final = _SELECT + " WHERE id = ANY($1::uuid[])"


async def all_devices(connection: Any) -> list[Any]:
    """Every device's id, type and status (asyncpg records)."""
    rows: list[Any] = await connection.fetch(_SELECT)
    return rows


async def devices_by_id(connection: Any, ids: list[str]) -> list[Any]:
    """The id, type and status of the devices among `ids` (canonical UUID text) that exist."""
    rows: list[Any] = await connection.fetch(_SELECT_SOME, ids)
    return rows
