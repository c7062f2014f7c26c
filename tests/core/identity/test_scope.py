"""Which units a signed-in user may see: admins all, officers and field staff their unit and the wards under
it, citizens none. Units come from the demo province, imported inside the test's transaction."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import install_problem_handlers
from core.errors import ProblemError
from core.http.policies import VisibleUnits, require_roles
from core.http.resources import Resources
from core.identity.principal import Principal, Role
from core.identity.scope import ensure_can_see_unit, outside_unit, unit_scope
from tests.core.identity.support import make_staff, problem, sign_in_citizen, sign_in_staff
from tests.support.people import bearer
from tests.support.units import DEMO

WARDS = frozenset(f["properties"]["code"] for f in DEMO["features"] if f["properties"]["level"] == "ward")


def principal(role: Role, unit_code: str | None) -> Principal:
    return Principal(user_id=uuid.uuid4(), role=role, unit_code=unit_code)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FIELD_STAFF])
async def test_staff_of_a_ward_see_only_that_ward(units: AsyncSession, role: Role) -> None:
    who = principal(role, "13666")
    scope = await unit_scope(units, who)
    assert scope.codes == {"13666"}
    assert not scope.all_units
    await ensure_can_see_unit(units, who, "13666")
    for other in ("13684", "37"):
        with pytest.raises(ProblemError) as refused:
            await ensure_can_see_unit(units, who, other)
        assert (refused.value.status, refused.value.code) == (403, "outside_unit")


async def test_an_officer_of_the_province_sees_its_wards(units: AsyncSession) -> None:
    scope = await unit_scope(units, principal(Role.OFFICER, "37"))
    assert len(WARDS) >= 5
    assert scope.codes == {"37", *WARDS}
    assert scope.allows("13684")
    assert not scope.allows("01")
    assert not scope.allows(None)


async def test_an_admin_sees_every_unit(units: AsyncSession) -> None:
    scope = await unit_scope(units, principal(Role.ADMIN, None))
    assert scope.all_units
    assert all(scope.allows(code) for code in (*WARDS, "37", "01"))


async def test_a_citizen_sees_no_unit(units: AsyncSession) -> None:
    scope = await unit_scope(units, principal(Role.CITIZEN, None))
    assert not scope.all_units
    assert scope.codes == frozenset()
    assert not any(scope.allows(code) for code in (*WARDS, "37"))


@pytest.fixture
def probe(resources: Resources) -> httpx.AsyncClient:
    """A test-only app with a staff route that reads one unit, as a domain route would."""
    app = FastAPI()
    install_problem_handlers(app)
    app.state.resources = resources

    @app.get("/probe/units/{code}", dependencies=[require_roles(Role.OFFICER, Role.FIELD_STAFF, Role.ADMIN)])
    async def unit(code: str, visible: VisibleUnits) -> dict[str, str]:
        if not visible.allows(code):
            raise outside_unit(code)
        return {"code": code}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe")


async def test_the_scope_follows_the_signed_in_user_through_a_route(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, units: AsyncSession
) -> None:
    await make_staff(units, "ward.officer", Role.OFFICER, "13666")
    token = (await sign_in_staff(client, "ward.officer"))["access_token"]

    assert (await probe.get("/probe/units/13666", headers=bearer(token))).json() == {"code": "13666"}
    body = problem(await probe.get("/probe/units/13684", headers=bearer(token)), 403, "outside_unit")
    assert "13684" in body["detail"]

    citizen = (await sign_in_citizen(client, units))["access_token"]
    problem(await probe.get("/probe/units/13666", headers=bearer(citizen)), 403, "forbidden")
    problem(await probe.get("/probe/units/13666"), 401, "unauthenticated")
