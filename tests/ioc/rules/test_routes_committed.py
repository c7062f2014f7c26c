"""What only real commits show: the rule engine is told of every change when it commits (and never of one
rolled back), and two admins editing one version at the same moment cannot both win.

These tests commit, so they write their own admin and delete what they made at the end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_sessionmaker
from core.errors import ProblemError
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.settings import Settings
from ioc.rules import service
from ioc.rules.repository.definitions import NOTIFY_CHANNEL
from ioc.rules.schemas import RuleCreate, RuleRead, RuleReplace
from tests.ioc.rules.rules_api import flood
from tests.support.events import eventually

# No scope: nothing this needs (units, categories) has to be committed beside the rule.
DEFINITION = flood(scope={"device_types": ["water_level"]})


@pytest.fixture
def committed(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def admin(engine: AsyncEngine) -> AsyncIterator[Principal]:
    user = User(
        id=uuid.uuid4(), role=Role.ADMIN, username=f"rules-{uuid.uuid4().hex[:8]}", display_name="Admin"
    )
    async with AsyncSession(engine, expire_on_commit=False) as session:
        session.add(user)
        await session.commit()
    try:
        yield Principal(user_id=user.id, role=Role.ADMIN, unit_code=None)
    finally:
        async with AsyncSession(engine) as session:
            ids = {"user": user.id}
            await session.execute(
                text(
                    "DELETE FROM alert_rule_versions "
                    "WHERE rule_id IN (SELECT id FROM alert_rules WHERE created_by = :user)"
                ),
                ids,
            )
            await session.execute(text("DELETE FROM alert_rules WHERE created_by = :user"), ids)
            await session.execute(text("DELETE FROM users WHERE id = :user"), ids)
            await session.commit()


@pytest.fixture
async def listener(settings: Settings) -> AsyncIterator[asyncio.Queue[str]]:
    url = urlsplit(settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1))
    connection = await asyncpg.connect(urlunsplit(url))
    received: asyncio.Queue[str] = asyncio.Queue()
    await connection.add_listener(NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[3]))
    try:
        yield received
    finally:
        await connection.close()


async def _created(committed: async_sessionmaker[AsyncSession], admin: Principal) -> RuleRead:
    async with committed() as session:
        rule = await service.create_rule(
            session, admin, RuleCreate.model_validate({"definition": DEFINITION})
        )
        await session.commit()
    return rule


async def _next(received: asyncio.Queue[str]) -> str:
    async with asyncio.timeout(10):
        return await received.get()


async def test_every_change_notifies_the_engine_at_commit(
    committed: async_sessionmaker[AsyncSession], admin: Principal, listener: asyncio.Queue[str]
) -> None:
    rule = await _created(committed, admin)
    assert await _next(listener) == str(rule.id)
    changes: list[Callable[[AsyncSession], Awaitable[object]]] = [
        lambda session: service.replace_rule(
            session, admin, rule.id, RuleReplace.model_validate({"definition": DEFINITION}), None
        ),
        lambda session: service.set_enabled(session, rule.id, False),
        lambda session: service.set_enabled(session, rule.id, True),
        lambda session: service.delete_rule(session, rule.id),
    ]
    for change in changes:
        async with committed() as session:
            await change(session)
            # Nothing before the commit: an engine woken now would reload the rule as it was.
            assert listener.empty()
            await session.commit()
        assert await _next(listener) == str(rule.id)


async def test_a_rolled_back_change_and_a_change_of_nothing_notify_nobody(
    committed: async_sessionmaker[AsyncSession], admin: Principal, listener: asyncio.Queue[str]
) -> None:
    rule = await _created(committed, admin)
    assert await _next(listener) == str(rule.id)
    async with committed() as session:
        await service.set_enabled(session, rule.id, False)
        await session.rollback()
    async with committed() as session:
        # Already enabled: no change, no notification.
        await service.set_enabled(session, rule.id, True)
        await session.commit()
    async with committed() as session:
        await service.delete_rule(session, rule.id)
        await session.commit()
    # The next notification is the deletion's: the two before it sent none.
    assert await _next(listener) == str(rule.id)
    assert listener.empty()


async def _someone_waits_for_a_lock(committed: async_sessionmaker[AsyncSession]) -> bool:
    async with committed() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%alert_rules%'"
            )
        )
    return bool(waiting)


async def test_two_edits_of_one_version_at_once_one_wins_the_other_is_refused(
    committed: async_sessionmaker[AsyncSession], admin: Principal
) -> None:
    rule = await _created(committed, admin)
    edit = RuleReplace.model_validate({"definition": DEFINITION})
    async with committed() as first, committed() as second:
        await service.replace_rule(first, admin, rule.id, edit, '"v1"')
        # The second edit waits on the rule's lock while the first is open...
        waiting = asyncio.create_task(service.replace_rule(second, admin, rule.id, edit, '"v1"'))
        await eventually(lambda: _someone_waits_for_a_lock(committed), "the second edit to wait on the lock")
        assert not waiting.done()
        await first.commit()
        # ... and, once the first committed, finds version 2 where it expected 1.
        with pytest.raises(ProblemError) as refused:
            await waiting
        assert refused.value.status == 412
        await second.rollback()
    async with committed() as session:
        assert (await service.read_rule(session, rule.id)).current_version == 2
