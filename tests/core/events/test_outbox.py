"""An event is an outbox row in the transaction of the change it describes: it exists if and only if that
transaction commits, and the relay is woken by the commit, not before."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_sessionmaker
from core.events.outbox import UnknownTopicError, emit
from core.events.repository import NOTIFY_CHANNEL
from core.settings import Settings
from tests.support.events import IN_WARD_A, WARD_A, envelope


async def _count(session: AsyncSession, event_id: object) -> int:
    query = text("SELECT count(*) FROM event_outbox WHERE event_id = :id")
    found = await session.scalar(query, {"id": event_id})
    return int(found or 0)


async def test_the_row_is_in_the_callers_transaction_and_gone_after_rollback(engine: AsyncEngine) -> None:
    event = envelope("feedback.created", WARD_A, location=IN_WARD_A, data={"n": 1})
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await emit(session, event)
        assert await _count(session, event.id) == 1
        row = (
            await session.execute(
                text(
                    "SELECT topic, type, unit_code, ST_X(location) AS lon, ST_Y(location) AS lat, "
                    "data, relayed_at "
                    "FROM event_outbox WHERE event_id = :id"
                ),
                {"id": event.id},
            )
        ).one()
        assert (row.topic, row.type, row.unit_code) == ("feedback", "feedback.created", WARD_A)
        assert (row.lon, row.lat) == (IN_WARD_A.lon, IN_WARD_A.lat)
        assert row.data == {"n": 1}
        assert row.relayed_at is None
        await session.rollback()
    async with sessions() as other:
        assert await _count(other, event.id) == 0


async def test_emit_never_commits(committed: async_sessionmaker[AsyncSession]) -> None:
    # A session of its own on a real transaction (not the test's savepoint, where a commit would only release
    # the savepoint and stay invisible): if emit committed, the other connection would see the row.
    event = envelope("alerts.raised", WARD_A)
    async with committed() as session:
        await emit(session, event)
        async with committed() as other:
            assert await _count(other, event.id) == 0
        await session.rollback()
    async with committed() as other:
        assert await _count(other, event.id) == 0


async def test_an_event_type_must_start_with_a_topic(session: AsyncSession) -> None:
    with pytest.raises(UnknownTopicError):
        await emit(session, envelope("weather.changed", None))
    assert await session.scalar(text("SELECT count(*) FROM event_outbox WHERE type = 'weather.changed'")) == 0


async def test_the_relay_is_notified_at_commit_only(
    committed: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    url = urlsplit(settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1))
    listener = await asyncpg.connect(urlunsplit(url))
    received: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[2]))
    sessions = committed
    try:
        async with sessions() as session:
            await emit(session, envelope("feedback.created", WARD_A))
            await session.rollback()
        async with sessions() as session:
            await emit(session, envelope("feedback.created", WARD_A))
            await emit(session, envelope("feedback.updated", WARD_A))
            # Nothing before the commit: a relay woken now would find no committed row.
            assert received.empty()
            await session.commit()
        async with asyncio.timeout(10):
            assert await received.get() == NOTIFY_CHANNEL
        # One notification for the committed transaction (its two events fold into one), none for the
        # rolled-back one. A round trip on the listening connection delivers anything still in flight.
        await listener.execute("SELECT 1")
        assert received.empty()
    finally:
        await listener.close()
