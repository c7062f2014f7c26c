"""Staff sign in with username and password: Argon2 hashes, one answer for every failure, rate limits."""

from __future__ import annotations

import logging

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.passwords import hash_password, verify_password
from core.identity.principal import Role
from core.settings import Settings
from tests.core.identity.conftest import ClientFactory
from tests.core.identity.support import STAFF_PASSWORD, count, make_staff, problem, row, sign_in_staff
from tests.support.people import bearer

LOGIN = "/api/v1/auth/login"


async def test_an_officer_signs_in_and_the_token_carries_role_and_unit(
    client: httpx.AsyncClient, units: AsyncSession, settings: Settings
) -> None:
    officer = await make_staff(units, "officer.one", Role.OFFICER, "13666")

    tokens = await sign_in_staff(client, "officer.one")

    assert tokens["user"] == {
        "id": str(officer.id),
        "role": "officer",
        "unit_code": "13666",
        "username": "officer.one",
        "display_name": None,
        "phone": None,
    }
    claims = jwt.decode(
        tokens["access_token"],
        settings.secret_key.get_secret_value(),
        algorithms=["HS256"],
        audience="smartcity-api",
    )
    assert (claims["role"], claims["unit"], claims["sub"]) == ("officer", "13666", str(officer.id))
    stored = await row(units, "SELECT password_hash FROM users WHERE id = :id", id=officer.id)
    assert stored["password_hash"].startswith("$argon2id$")
    assert STAFF_PASSWORD not in stored["password_hash"]


async def test_usernames_are_not_case_sensitive(client: httpx.AsyncClient, units: AsyncSession) -> None:
    await make_staff(units, "Field.Worker", Role.FIELD_STAFF, "13684")
    assert (await sign_in_staff(client, "FIELD.worker"))["user"]["username"] == "field.worker"


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    client: httpx.AsyncClient, units: AsyncSession
) -> None:
    await make_staff(units, "officer.one")

    wrong = problem(
        await client.post(LOGIN, json={"username": "officer.one", "password": "not it at all"}),
        401,
        "invalid_credentials",
    )
    unknown = problem(
        await client.post(LOGIN, json={"username": "nobody", "password": "not it at all"}),
        401,
        "invalid_credentials",
    )

    def comparable(body: dict[str, object]) -> dict[str, object]:
        return {key: value for key, value in body.items() if key not in ("request_id",)}

    assert comparable(wrong) == comparable(unknown)
    assert await count(units, "SELECT count(*) FROM refresh_tokens") == 0


async def test_a_closed_account_cannot_sign_in(client: httpx.AsyncClient, units: AsyncSession) -> None:
    closed = await make_staff(units, "closed.account")
    await units.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": closed.id})
    problem(
        await client.post(LOGIN, json={"username": "closed.account", "password": STAFF_PASSWORD}),
        401,
        "invalid_credentials",
    )


async def test_failed_attempts_are_limited_per_username(
    make_client: ClientFactory, units: AsyncSession
) -> None:
    await make_staff(units, "officer.one")
    async with make_client(login_failures_per_username_per_minute=3) as client:
        for _ in range(3):
            problem(
                await client.post(LOGIN, json={"username": "officer.one", "password": "wrong password"}),
                401,
                "invalid_credentials",
            )
        # Even the right password waits now: the limit is what slows guessing, for a minute at most.
        response = await client.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD})
        problem(response, 429, "rate_limited")
        assert 0 < int(response.headers["retry-after"]) <= 60
    async with make_client(ip="198.51.100.20", login_failures_per_username_per_minute=3) as elsewhere:
        problem(
            await elsewhere.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD}),
            429,
            "rate_limited",
        )
    assert await count(units, "SELECT count(*) FROM refresh_tokens") == 0


async def test_failed_attempts_are_limited_per_address(
    make_client: ClientFactory, units: AsyncSession
) -> None:
    await make_staff(units, "officer.one")
    async with make_client(ip="203.0.113.50", login_attempts_per_15_minutes=3) as client:
        for name in ("a.one", "b.two", "c.three"):
            problem(
                await client.post(LOGIN, json={"username": name, "password": "guess"}),
                401,
                "invalid_credentials",
            )
        problem(
            await client.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD}),
            429,
            "rate_limited",
        )
    async with make_client(ip="203.0.113.51", login_attempts_per_15_minutes=3) as other:
        assert (
            await other.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD})
        ).status_code == 200


async def test_successful_sign_ins_do_not_count(make_client: ClientFactory, units: AsyncSession) -> None:
    await make_staff(units, "officer.one")
    async with make_client(login_attempts_per_15_minutes=2) as client:
        for _ in range(4):
            assert (
                await client.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD})
            ).status_code == 200


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(
    client: httpx.AsyncClient, units: AsyncSession
) -> None:
    officer = await make_staff(units, "officer.one")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(STAFF_PASSWORD)
    await units.execute(
        text("UPDATE users SET password_hash = :h WHERE id = :id"), {"h": weak, "id": officer.id}
    )

    await sign_in_staff(client, "officer.one")

    stored = await row(units, "SELECT password_hash FROM users WHERE id = :id", id=officer.id)
    upgraded = stored["password_hash"]
    assert upgraded != weak
    assert not PasswordHasher().check_needs_rehash(upgraded)
    assert (await verify_password(upgraded, STAFF_PASSWORD)).ok


async def test_password_checks() -> None:
    stored = await hash_password("a long enough password")
    assert (await verify_password(stored, "a long enough password")).ok
    assert not (await verify_password(stored, "a long enough passwore")).ok
    # No account: a full dummy verification that always fails.
    assert not (await verify_password(None, "a long enough password")).ok
    assert not (await verify_password("not a hash", "whatever")).ok


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "", "password": "x"},
        {"username": "a", "password": ""},
        {"username": "a"},
        {"username": "a", "password": "x" * 257},
    ],
)
async def test_malformed_sign_ins_are_validation_problems(
    client: httpx.AsyncClient, redis: Redis, body: dict[str, str]
) -> None:
    problem(await client.post(LOGIN, json=body), 422, "validation_error")
    assert await redis.keys("smartcity:ratelimit:*") == []


async def test_refused_sign_ins_are_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="smartcity.identity"):
        await client.post(LOGIN, json={"username": "nobody", "password": "secret guess"})
    refused = [r for r in caplog.records if r.getMessage() == "staff sign-in refused"]
    assert len(refused) == 1
    assert refused[0].__dict__["username"] == "nobody"
    assert "secret guess" not in str(vars(refused[0]))


async def test_staff_tokens_open_staff_routes(client: httpx.AsyncClient, units: AsyncSession) -> None:
    await make_staff(units, "root.admin", Role.ADMIN, None)
    tokens = await sign_in_staff(client, "root.admin")
    response = await client.get("/api/v1/admin/staff", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
