"""The asyncpg connection under a session's transaction: the rules' bulk writers take one, whether they run
in the consumer (its own connection) or under a worker's or a request's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def raw_connection(session: AsyncSession) -> Any:
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection
