"""API keys: created by admins, shown once, stored hashed, checked with their scopes on real routes."""

from __future__ import annotations

import hashlib
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import install_problem_handlers
from core.http.policies import require_api_key
from core.http.resources import Resources
from core.identity.api_keys import ApiClient
from core.identity.principal import Role
from tests.core.identity.support import count, make_staff, problem, row, sign_in_citizen, sign_in_staff
from tests.support.people import bearer

KEYS = "/api/v1/admin/api-keys"


@pytest.fixture
async def admin_token(client: httpx.AsyncClient, units: AsyncSession) -> str:
    await make_staff(units, "root.admin", Role.ADMIN, None)
    return str((await sign_in_staff(client, "root.admin"))["access_token"])


@pytest.fixture
def probe(resources: Resources) -> httpx.AsyncClient:
    """A test-only app with one route per scope policy, on the real database."""
    app = FastAPI()
    install_problem_handlers(app)
    app.state.resources = resources

    @app.get("/probe/dossiers")
    async def dossiers(client: Annotated[ApiClient, require_api_key("dossiers:sync")]) -> dict[str, str]:
        return {"name": client.name}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe")


async def create_key(
    client: httpx.AsyncClient, token: str, scopes: list[str], name: str = "Sở Tư pháp"
) -> str:
    response = await client.post(KEYS, json={"name": name, "scopes": scopes}, headers=bearer(token))
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


async def test_a_key_is_shown_once_and_stored_as_a_hash(
    client: httpx.AsyncClient, session: AsyncSession, admin_token: str
) -> None:
    response = await client.post(
        KEYS, json={"name": "Sở Tư pháp", "scopes": ["dossiers:sync"]}, headers=bearer(admin_token)
    )

    assert response.status_code == 201
    created = response.json()
    key = created["key"]
    assert key.startswith(f"sc_{created['prefix']}_")
    assert len(key) > 40
    assert created["scopes"] == ["dossiers:sync"]
    stored = await row(session, "SELECT key_hash, prefix FROM api_keys WHERE id = :id", id=created["id"])
    assert stored == {"key_hash": hashlib.sha256(key.encode()).hexdigest(), "prefix": created["prefix"]}
    secret = key.split("_", 2)[2]
    assert (
        await count(
            session, "SELECT count(*) FROM api_keys k WHERE row_to_json(k)::text LIKE :s", s=f"%{secret}%"
        )
        == 0
    )

    listed = (await client.get(KEYS, headers=bearer(admin_token))).json()
    assert [item["id"] for item in listed] == [created["id"]]
    assert "key" not in listed[0]
    assert secret not in str(listed)


async def test_a_key_opens_routes_of_its_scope_only(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, session: AsyncSession, admin_token: str
) -> None:
    dossiers = await create_key(client, admin_token, ["dossiers:sync"], "Sở Tư pháp")
    reports = await create_key(client, admin_token, ["feedback:read"], "Báo điện tử")

    allowed = await probe.get("/probe/dossiers", headers={"x-api-key": dossiers})
    assert allowed.status_code == 200
    assert allowed.json() == {"name": "Sở Tư pháp"}
    assert (await row(session, "SELECT last_used_at FROM api_keys WHERE name = 'Sở Tư pháp'"))[
        "last_used_at"
    ] is not None

    body = problem(
        await probe.get("/probe/dossiers", headers={"x-api-key": reports}), 403, "insufficient_scope"
    )
    assert body["required_scope"] == "dossiers:sync"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": ""},
        {"x-api-key": "sc_00000000_" + "a" * 43},
        {"x-api-key": "garbage"},
        {"authorization": "Bearer sc_00000000_x"},
    ],
)
async def test_missing_or_wrong_keys_are_refused(probe: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await probe.get("/probe/dossiers", headers=headers)
    problem(response, 401, "api_key_invalid")
    assert response.headers["www-authenticate"] == "X-API-Key"


async def test_a_revoked_key_stops_working(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, session: AsyncSession, admin_token: str
) -> None:
    key = await create_key(client, admin_token, ["dossiers:sync"])
    key_id = (await row(session, "SELECT id FROM api_keys"))["id"]

    for _ in range(2):  # revoking again is harmless
        response = await client.delete(f"{KEYS}/{key_id}", headers=bearer(admin_token))
        assert response.status_code == 204

    problem(await probe.get("/probe/dossiers", headers={"x-api-key": key}), 401, "api_key_invalid")
    listed = (await client.get(KEYS, headers=bearer(admin_token))).json()
    assert listed[0]["revoked_at"] is not None


async def test_revoking_an_unknown_key_is_not_found(client: httpx.AsyncClient, admin_token: str) -> None:
    problem(
        await client.delete(f"{KEYS}/0b8f3c1e-4a5d-4d1c-9a57-0c0f3f1d2e11", headers=bearer(admin_token)),
        404,
        "not_found",
    )
    problem(await client.delete(f"{KEYS}/not-a-uuid", headers=bearer(admin_token)), 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["everything"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": "feedback:read"},
        {"name": "", "scopes": ["feedback:read"]},
        {"scopes": ["feedback:read"]},
        {"name": "x" * 101, "scopes": ["feedback:read"]},
    ],
)
async def test_invalid_key_requests_are_refused_and_create_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin_token: str, body: dict[str, object]
) -> None:
    problem(await client.post(KEYS, json=body, headers=bearer(admin_token)), 422, "validation_error")
    assert await count(session, "SELECT count(*) FROM api_keys") == 0


async def test_only_admins_manage_keys(
    client: httpx.AsyncClient, units: AsyncSession, session: AsyncSession
) -> None:
    await make_staff(units, "officer.one")
    officer = (await sign_in_staff(client, "officer.one"))["access_token"]
    citizen = (await sign_in_citizen(client, session))["access_token"]
    for token in (officer, citizen):
        response = await client.post(
            KEYS, json={"name": "x", "scopes": ["feedback:read"]}, headers=bearer(token)
        )
        problem(response, 403, "forbidden")
        problem(await client.get(KEYS, headers=bearer(token)), 403, "forbidden")
    problem(await client.get(KEYS), 401, "unauthenticated")
    assert await count(session, "SELECT count(*) FROM api_keys") == 0


def test_a_route_cannot_ask_for_a_scope_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="unknown API key scope"):
        require_api_key("everything")
