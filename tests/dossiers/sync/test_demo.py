"""The demo dossiers of `smartcity seed`: every status, late ones, apologies; a second run adds none."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.settings import Settings
from dossiers.catalogue.seed import seed_procedures
from dossiers.models import Apology, Dossier
from dossiers.sync.demo import DEMO_AGENCIES, seed_demo_dossiers
from dossiers.types import Status


async def test_demo_dossiers_cover_every_state_once(units: AsyncSession, settings: Settings) -> None:
    session = units
    await seed_procedures(session)
    now = datetime.now(UTC)
    result = await seed_demo_dossiers(session, settings, now=now, per_agency=80)
    assert result.agencies == len(DEMO_AGENCIES)
    assert result.dossiers == 3 * 80
    statuses = set((await session.execute(select(col(Dossier.status)).distinct())).scalars())
    assert statuses == {int(status) for status in Status}
    overdue = await session.scalar(
        select(func.count()).where(col(Dossier.finished_at).is_(None), col(Dossier.due_at) < now)
    )
    assert overdue
    assert await session.scalar(select(func.count()).select_from(Apology))
    assert await session.scalar(select(func.count()).where(col(Dossier.forced_late)))
    assert await session.scalar(select(func.count()).where(col(Dossier.sms_opt_in)))
    assert result.samples
    sample = result.samples[0]
    stored = (await session.execute(select(Dossier).where(col(Dossier.code) == sample.code))).scalar_one()
    assert stored.applicant_phone is not None
    assert stored.applicant_phone.endswith(sample.phone_last4)
    again = await seed_demo_dossiers(session, settings, now=now, per_agency=80)
    assert again.dossiers == 0
    assert await session.scalar(select(func.count()).select_from(Dossier)) == 3 * 80
