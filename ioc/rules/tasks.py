"""The worker's rules loop: time drives the rules, not only arriving messages.

Every `ioc_rules_tick_seconds`, the states whose due moment has come (a hold reached, an escalation, a
clearing hold completed, a clearing by absence) are evaluated at the present moment, in bounded passes of
`ioc_rules_tick_batch` states, each in its own transaction; then the silence rules look for devices that fell
silent or spoke again. One instance is active per database (advisory lock; the others stand by), since the
silence pass raises alarms for devices that have no state row to lock yet.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.background.singleton import every, run_singleton
from core.db import create_engine, raw_connection
from core.settings import Settings
from ioc.rules.catalogue import Catalogue, RulesListener
from ioc.rules.evaluation import due_pass
from ioc.rules.silence import silence_pass
from iot.ingest.writer import asyncpg_dsn

log = logging.getLogger("smartcity.ioc.rules")

RULES_LOCK_KEY: Final = 0x5C1E_A1E7
# A tick keeps taking due states while whole batches come back, up to this many passes.
MAX_PASSES: Final = 10


async def tick_once(session: AsyncSession, catalogue: Catalogue, now: datetime, limit: int) -> int:
    """One pass over due states at `now`, in the session's transaction (the caller commits); how many
    were due."""
    connection = await raw_connection(session)
    await catalogue.ensure_fresh(connection)
    return await due_pass(connection, catalogue, now, limit)


async def silence_once(session: AsyncSession, catalogue: Catalogue, now: datetime) -> int:
    """The silence rules at `now`, in the session's transaction (the caller commits)."""
    connection = await raw_connection(session)
    await catalogue.ensure_fresh(connection)
    return await silence_pass(connection, catalogue, now)


async def tick(sessions: async_sessionmaker[AsyncSession], catalogue: Catalogue, limit: int) -> None:
    for _ in range(MAX_PASSES):
        async with sessions() as session:
            taken = await tick_once(session, catalogue, datetime.now(UTC), limit)
            await session.commit()
        if taken < limit:
            break
    # In a transaction of its own: it waits for the states it locks, the due passes skip theirs.
    async with sessions() as session:
        await silence_once(session, catalogue, datetime.now(UTC))
        await session.commit()


async def run_rules(settings: Settings, stop: asyncio.Event) -> None:
    """The worker's "rules" loop, until `stop` is set."""
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    catalogue = Catalogue(settings.ioc_rules_refresh_seconds, devices=False)
    listener = RulesListener(asyncpg_dsn(settings), catalogue)

    async def one_tick() -> None:
        await listener.ensure()
        await tick(sessions, catalogue, settings.ioc_rules_tick_batch)

    async def active(connection: AsyncConnection) -> None:
        await every(
            settings.ioc_rules_tick_seconds,
            stop,
            one_tick,
            log=log,
            what="rules tick",
            lock_connection=connection,
        )

    try:
        await run_singleton(
            engine,
            stop,
            name="rules task",
            lock_key=RULES_LOCK_KEY,
            standby_seconds=max(1.0, settings.ioc_rules_tick_seconds),
            active=active,
            log=log,
        )
    finally:
        await listener.close()
        await engine.dispose()
