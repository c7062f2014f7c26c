"""Agencies, their sync keys, and who may call the sync API."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.dossiers.sync.support import SyncCaller, code_for, dossier_item, key_headers, local, status_item
from tests.support.ops import ops_key
from tests.support.people import PersonFactory

AGENCIES = "/api/v1/dossier-agencies"
SYNC = "/api/v1/dossiers/sync"


def _agency(code: str, **changes: str) -> dict[str, str]:
    return {
        "code": code,
        "name_vi": "Ủy ban nhân dân phường Nam Định",
        "level": "commune",
        "unit_code": "13666",
        **changes,
    }


async def test_admins_register_agencies_and_list_them_in_pages(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    for code in ("H56.01", "H56.02", "H56.03"):
        response = await client.post(AGENCIES, json=_agency(code), headers=admin.headers)
        assert response.status_code == 201, response.text
        assert response.json()["code"] == code
    first = (await client.get(AGENCIES, params={"limit": 2}, headers=admin.headers)).json()
    assert [item["code"] for item in first["items"]] == ["H56.01", "H56.02"]
    rest = await client.get(
        AGENCIES, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin.headers
    )
    assert [item["code"] for item in rest.json()["items"]] == ["H56.03"]
    assert rest.json()["next_cursor"] is None
    bad = await client.get(AGENCIES, params={"cursor": "nonsense"}, headers=admin.headers)
    assert bad.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_agency("H56-01"), 422, "validation_error"),  # a dash would break the dossier codes
        (_agency("H56.09", unit_code="99999"), 422, "unit_not_found"),
        (_agency("H56.09", level="district"), 422, "validation_error"),
        (_agency("H56.01"), 409, "agency_code_taken"),
    ],
)
async def test_bad_agencies_are_refused(
    client: httpx.AsyncClient,
    units: AsyncSession,
    person: PersonFactory,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    admin = await person(Role.ADMIN)
    assert (await client.post(AGENCIES, json=_agency("H56.01"), headers=admin.headers)).status_code == 201
    response = await client.post(AGENCIES, json=body, headers=admin.headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    listed = (await client.get(AGENCIES, headers=admin.headers)).json()["items"]
    assert [item["code"] for item in listed] == ["H56.01"]


async def test_only_admins_manage_agencies(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, "37")
    assert (await client.post(AGENCIES, json=_agency("H56.01"), headers=officer.headers)).status_code == 403
    assert (await client.get(AGENCIES)).status_code == 401


async def test_a_key_made_for_an_agency_writes_its_dossiers(
    client: httpx.AsyncClient, procedures: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    await client.post(AGENCIES, json=_agency("000.00.22.H56"), headers=admin.headers)
    response = await client.post(f"{AGENCIES}/000.00.22.H56/keys", json={}, headers=admin.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["scopes"] == ["dossiers:sync"]
    assert created["agency_code"] == "000.00.22.H56"
    answer = await client.post(
        SYNC, json={"items": [dossier_item(code_for(1))]}, headers=key_headers(created["key"])
    )
    assert answer.json()["results"][0]["result"] == "created"
    missing = await client.post(f"{AGENCIES}/000.00.77.H56/keys", json={}, headers=admin.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "agency_not_found")


async def test_keys_without_the_scope_or_an_agency_are_refused(
    client: httpx.AsyncClient, procedures: AsyncSession, person: PersonFactory
) -> None:
    body = {"items": [dossier_item(code_for(1))]}
    none = await client.post(SYNC, json=body)
    assert (none.status_code, none.json()["code"]) == (401, "api_key_invalid")
    wrong = await client.post(SYNC, json=body, headers=await ops_key(procedures, person))
    assert (wrong.status_code, wrong.json()["code"]) == (403, "insufficient_scope")
    unbound = await client.post(SYNC, json=body, headers=await ops_key(procedures, person, "dossiers:sync"))
    assert (unbound.status_code, unbound.json()["code"]) == (403, "api_key_not_bound")
    for path in (f"{SYNC}/ratings", f"{SYNC}/dossiers/{code_for(1)}"):
        refused = await client.get(path, headers=await ops_key(procedures, person, "dossiers:sync"))
        assert refused.json()["code"] == "api_key_not_bound"


@pytest.mark.parametrize("count", [0, 1001])
async def test_a_batch_holds_1_to_1000_items(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession, count: int
) -> None:
    code = code_for(1)
    items = (
        [dossier_item(code)] + [status_item(code, 4, local(2025, 4, 24, 10))] * (count - 1) if count else []
    )
    response = await client.post(SYNC, json={"items": items}, headers=caller.headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    found = await client.get(f"{SYNC}/dossiers/{code}", headers=caller.headers)
    assert found.status_code == 404


async def test_a_full_batch_of_1000_is_applied(client: httpx.AsyncClient, caller: SyncCaller) -> None:
    items = [dossier_item(code_for(n)) for n in range(1, 1001)]
    response = await client.post(SYNC, json={"items": items}, headers=caller.headers)
    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 1000


@pytest.mark.parametrize("body", [{}, {"items": "x"}, {"items": [], "more": 1}, []])
async def test_a_body_that_is_no_batch(client: httpx.AsyncClient, caller: SyncCaller, body: object) -> None:
    response = await client.post(SYNC, json=body, headers=caller.headers)
    assert response.status_code == 422
