"""An agency of the demo province and one of its procedures, for the citizen's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from dossiers.models import Agency, Dossier, Procedure
from tests.support.dossiers import make_agency, make_dossier, make_procedure


@dataclass
class Office:
    session: AsyncSession
    settings: Settings
    agency: Agency
    procedure: Procedure

    async def dossier(self, **kwargs: Any) -> Dossier:
        return await make_dossier(self.session, self.settings, self.agency, self.procedure, **kwargs)


@pytest.fixture
async def office(units: AsyncSession, settings: Settings) -> Office:
    return Office(units, settings, await make_agency(units), await make_procedure(units))
