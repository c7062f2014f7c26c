"""Places and people of the dossier tests: a ward with its officer, another ward, the province."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from dossiers.models import Agency, Procedure
from tests.support.dossier_rows import make_agency, make_procedure
from tests.support.people import Person, PersonFactory

PROVINCE = "37"
WARD = "13666"
OTHER_WARD = "13684"


@dataclass(frozen=True, slots=True)
class Offices:
    agency: Agency
    other_agency: Agency
    procedure: Procedure
    officer: Person
    other_officer: Person
    province_officer: Person
    field_worker: Person
    admin: Person


@pytest.fixture
async def offices(units: AsyncSession, person: PersonFactory) -> Offices:
    return Offices(
        agency=await make_agency(units, WARD),
        other_agency=await make_agency(units, OTHER_WARD),
        procedure=await make_procedure(units),
        officer=await person(Role.OFFICER, WARD, display_name="Trần Văn Bình"),
        other_officer=await person(Role.OFFICER, OTHER_WARD),
        province_officer=await person(Role.OFFICER, PROVINCE),
        field_worker=await person(Role.FIELD_STAFF, WARD),
        admin=await person(Role.ADMIN),
    )
