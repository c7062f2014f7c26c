"""Two linkers of one unit take turns: the unit's linking lock is held to the end of the transaction, and
other units are not held up."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ioc.incidents.repository.matching import UNIT_LOCK_NAMESPACE, lock_units

_TRY = text("SELECT pg_try_advisory_xact_lock(:namespace, hashtext(:code))")


async def test_a_units_lock_is_held_until_the_transaction_ends(engine: AsyncEngine) -> None:
    async with engine.connect() as first, engine.connect() as second:
        holder = AsyncSession(bind=first)
        await lock_units(holder, ["13666", "13684", "13666"])

        async def free(code: str) -> bool:
            async with second.begin():
                return bool(await second.scalar(_TRY, {"namespace": UNIT_LOCK_NAMESPACE, "code": code}))

        assert not await free("13666")
        assert not await free("13684")
        assert await free("13693")
        await holder.rollback()
        await holder.close()
        assert await free("13666")
