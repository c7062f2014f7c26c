"""Admins create staff accounts; bad requests create nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.core.identity.support import count, make_staff, problem, sign_in_citizen, sign_in_staff
from tests.support.people import bearer

STAFF = "/api/v1/admin/staff"
GOOD: dict[str, Any] = {
    "username": "Nguyen.Van.A",
    "password": "a long passphrase",
    "role": "officer",
    "unit_code": "13666",
    "display_name": "Nguyễn Văn A",
}


@pytest.fixture
async def admin_token(client: httpx.AsyncClient, units: AsyncSession) -> str:
    await make_staff(units, "root.admin", Role.ADMIN, None)
    return str((await sign_in_staff(client, "root.admin"))["access_token"])


async def test_an_admin_creates_an_officer_who_can_then_sign_in(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    response = await client.post(STAFF, json=GOOD, headers=bearer(admin_token))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == "nguyen.van.a"
    assert (created["role"], created["unit_code"]) == ("officer", "13666")
    assert "password" not in str(created)
    tokens = await sign_in_staff(client, "nguyen.van.a", "a long passphrase")
    assert tokens["user"]["id"] == created["id"]
    listed = (await client.get(STAFF, headers=bearer(admin_token))).json()
    assert {item["username"] for item in listed} == {"root.admin", "nguyen.van.a"}


async def test_an_admin_may_have_no_unit(client: httpx.AsyncClient, admin_token: str) -> None:
    body = {**GOOD, "username": "second.admin", "role": "admin", "unit_code": None}
    assert (await client.post(STAFF, json=body, headers=bearer(admin_token))).status_code == 201


async def test_a_taken_username_is_a_conflict(
    client: httpx.AsyncClient, session: AsyncSession, admin_token: str
) -> None:
    assert (await client.post(STAFF, json=GOOD, headers=bearer(admin_token))).status_code == 201
    problem(
        await client.post(STAFF, json={**GOOD, "username": "NGUYEN.van.a"}, headers=bearer(admin_token)),
        409,
        "conflict",
    )
    assert await count(session, "SELECT count(*) FROM users WHERE username = 'nguyen.van.a'") == 1


async def test_an_unknown_unit_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, admin_token: str
) -> None:
    problem(
        await client.post(STAFF, json={**GOOD, "unit_code": "99999"}, headers=bearer(admin_token)),
        400,
        "unit_not_found",
    )
    assert await count(session, "SELECT count(*) FROM users WHERE username = 'nguyen.van.a'") == 0


@pytest.mark.parametrize(
    "change",
    [
        {"password": "too short"},
        {"role": "citizen"},
        {"unit_code": None},
        {"role": "field_staff", "unit_code": None},
        {"unit_code": "1366"},
        {"username": "a"},
        {"username": "has space"},
        {"username": "-leading.dash"},
    ],
)
async def test_invalid_staff_requests_create_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin_token: str, change: dict[str, Any]
) -> None:
    before = await count(session, "SELECT count(*) FROM users")
    problem(
        await client.post(STAFF, json={**GOOD, **change}, headers=bearer(admin_token)),
        422,
        "validation_error",
    )
    assert await count(session, "SELECT count(*) FROM users") == before


async def test_only_admins_create_staff(
    client: httpx.AsyncClient, units: AsyncSession, session: AsyncSession
) -> None:
    await make_staff(units, "officer.one")
    officer = (await sign_in_staff(client, "officer.one"))["access_token"]
    citizen = (await sign_in_citizen(client, session))["access_token"]
    for token in (officer, citizen):
        problem(await client.post(STAFF, json=GOOD, headers=bearer(token)), 403, "forbidden")
        problem(await client.get(STAFF, headers=bearer(token)), 403, "forbidden")
    problem(await client.post(STAFF, json=GOOD), 401, "unauthenticated")
    assert await count(session, "SELECT count(*) FROM users WHERE username = 'nguyen.van.a'") == 0
