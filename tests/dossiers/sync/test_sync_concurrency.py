"""Two batches on the same dossiers at the same time, in their own committed transactions: neither deadlocks
nor loses the other's updates, whichever runs first."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.settings import Settings
from core.units.importer import import_units
from dossiers.models import Agency
from dossiers.sync.service import apply_batch
from tests.dossiers.sync.support import FRESH, code_for, dossier_item, local, procedure, status_item
from tests.support.units import DEMO

AGENCY = "000.00.99.H56"


@pytest.fixture
async def committed_agency(engine: AsyncEngine) -> AsyncIterator[Agency]:
    """An agency and a procedure committed for real (and the demo units when missing), removed afterwards."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        had_units = bool(await session.scalar(text("SELECT count(*) FROM admin_units")))
        if not had_units:
            await import_units(session, DEMO)
        had_procedure = bool(
            await session.scalar(
                text("SELECT count(*) FROM dossier_procedures WHERE code = :c"), {"c": FRESH}
            )
        )
        if not had_procedure:
            session.add(procedure(FRESH, "working_days", "3"))
        agency = Agency(
            id=uuid.uuid4(), code=AGENCY, name_vi="Sở Thử nghiệm", level="province", unit_code="37"
        )
        session.add(agency)
        await session.commit()
    try:
        yield agency
    finally:
        async with AsyncSession(engine) as session:
            await session.execute(text("DELETE FROM dossiers WHERE agency_id = :a"), {"a": agency.id})
            await session.execute(text("DELETE FROM dossier_agencies WHERE id = :a"), {"a": agency.id})
            if not had_procedure:
                await session.execute(text("DELETE FROM dossier_procedures WHERE code = :c"), {"c": FRESH})
            if not had_units:
                await session.execute(text("DELETE FROM admin_units WHERE parent_code IS NOT NULL"))
                await session.execute(text("DELETE FROM admin_units"))
            await session.commit()


async def _apply(
    engine: AsyncEngine, settings: Settings, agency: Agency, items: list[dict[str, Any]]
) -> list[str]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        # Nothing announced: these batches commit, and their events and SMS would outlive the test.
        applied = await apply_batch(session, settings, agency, items, now=datetime.now(UTC), announce=False)
        # Hold the locks a moment, so that the other batch really waits on them.
        await session.execute(text("SELECT pg_sleep(0.05)"))
        await session.commit()
    return [result.result.value for result in applied.response.results]


async def _states(engine: AsyncEngine, codes: list[str]) -> dict[str, tuple[int, list[int]]]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(
            text(
                "SELECT d.code, d.status, array_agg(s.status ORDER BY s.at, s.id) AS steps "
                "FROM dossiers d JOIN dossier_steps s ON s.dossier_id = d.id "
                "WHERE d.code = ANY(:codes) GROUP BY d.code, d.status"
            ),
            {"codes": codes},
        )
        return {row.code: (row.status, list(row.steps)) for row in rows}


async def test_concurrent_batches_on_the_same_dossiers(
    engine: AsyncEngine, settings: Settings, committed_agency: Agency
) -> None:
    existing = [code_for(n, agency=AGENCY) for n in range(1, 41)]
    fresh = [code_for(n, agency=AGENCY) for n in range(41, 61)]
    assert set(
        await _apply(
            engine, settings, committed_agency, [dossier_item(c, procedure_code=FRESH) for c in existing]
        )
    ) == {"created"}
    handed, ready = local(2025, 4, 24, 10), local(2025, 4, 25, 10)
    # A goes through the dossiers one way, B the other: locks taken in input order would deadlock.
    first = [status_item(c, 4, handed) for c in existing] + [
        dossier_item(c, procedure_code=FRESH) for c in fresh
    ]
    second = [
        item
        for c in reversed(existing + fresh)
        for item in (
            status_item(c, 9, ready),
            status_item(c, 4, handed),
            dossier_item(c, procedure_code=FRESH),
        )
    ]
    results_a, results_b = await asyncio.wait_for(
        asyncio.gather(
            _apply(engine, settings, committed_agency, first),
            _apply(engine, settings, committed_agency, second),
        ),
        timeout=60,
    )
    assert "rejected" not in results_a + results_b
    # Each new dossier was created by exactly one of the two.
    assert (results_a + results_b).count("created") == len(fresh)
    states = await _states(engine, existing + fresh)
    assert states == {code: (9, [2, 4, 9]) for code in existing + fresh}
