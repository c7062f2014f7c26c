"""Citizens sign in with a code sent by text message: the whole flow through the API, on the real database and
Redis, including every way it refuses."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth_routes import get_now
from tests.core.identity.conftest import ClientFactory
from tests.core.identity.support import (
    PHONE,
    PHONE_E164,
    count,
    latest_code,
    problem,
    request_code,
    row,
    sign_in_citizen,
)
from tests.support.people import bearer

REQUEST = "/api/v1/auth/otp/request"
VERIFY = "/api/v1/auth/otp/verify"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_signs_a_citizen_in_and_creates_the_account(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(REQUEST, json={"phone": PHONE})
    assert response.status_code == 202
    assert response.json() == {"expires_in": 300}
    code = await latest_code(session, PHONE_E164)
    stored = await row(session, "SELECT code_hash FROM otp_challenges WHERE phone = :p", p=PHONE_E164)
    assert code not in stored["code_hash"]
    assert len(stored["code_hash"]) == 64
    assert await count(session, "SELECT count(*) FROM users WHERE phone = :p", p=PHONE_E164) == 0

    response = await client.post(VERIFY, json={"phone": PHONE, "code": code})

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    assert tokens["refresh_expires_in"] == 30 * 24 * 3600
    assert tokens["user"]["role"] == "citizen"
    assert tokens["user"]["phone"] == PHONE_E164
    user = await row(session, "SELECT id, role::text AS role FROM users WHERE phone = :p", p=PHONE_E164)
    assert str(user["id"]) == tokens["user"]["id"]
    assert user["role"] == "citizen"
    assert (await row(session, "SELECT consumed_at FROM otp_challenges WHERE phone = :p", p=PHONE_E164))[
        "consumed_at"
    ] is not None
    me = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == tokens["user"]["id"]


async def test_the_next_sign_in_finds_the_same_account(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await sign_in_citizen(client, session, "0912345678")
    second = await sign_in_citizen(client, session, "+84 912 345 678")
    assert first["user"]["id"] == second["user"]["id"]
    assert await count(session, "SELECT count(*) FROM users WHERE phone = :p", p=PHONE_E164) == 1


async def test_a_wrong_code_counts_an_attempt_and_signs_nobody_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)

    body = problem(await client.post(VERIFY, json={"phone": PHONE, "code": wrong(code)}), 400, "otp_invalid")

    assert body["attempts_left"] == 4
    # The attempt is kept although the request failed.
    assert (await row(session, "SELECT attempts FROM otp_challenges WHERE phone = :p", p=PHONE_E164)) == {
        "attempts": 1
    }
    assert await count(session, "SELECT count(*) FROM users") == 0
    assert await count(session, "SELECT count(*) FROM refresh_tokens") == 0


async def test_five_wrong_codes_lock_the_code_even_against_the_right_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)
    bad = {"phone": PHONE, "code": wrong(code)}
    for left in (4, 3, 2, 1):
        body = problem(await client.post(VERIFY, json=bad), 400, "otp_invalid")
        assert body["attempts_left"] == left
    problem(await client.post(VERIFY, json=bad), 400, "otp_attempts_exceeded")

    problem(await client.post(VERIFY, json={"phone": PHONE, "code": code}), 400, "otp_attempts_exceeded")

    assert (await row(session, "SELECT attempts, consumed_at FROM otp_challenges")) == {
        "attempts": 5,
        "consumed_at": None,
    }
    assert await count(session, "SELECT count(*) FROM users") == 0


async def test_an_expired_code_is_refused_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)
    created = (await row(session, "SELECT created_at FROM otp_challenges"))["created_at"]
    app.dependency_overrides[get_now] = lambda: created + timedelta(seconds=300)

    problem(await client.post(VERIFY, json={"phone": PHONE, "code": code}), 400, "otp_expired")

    assert (await row(session, "SELECT attempts, consumed_at FROM otp_challenges")) == {
        "attempts": 0,
        "consumed_at": None,
    }
    assert await count(session, "SELECT count(*) FROM users") == 0


async def test_a_code_is_still_good_just_before_it_expires(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)
    created = (await row(session, "SELECT created_at FROM otp_challenges"))["created_at"]
    app.dependency_overrides[get_now] = lambda: created + timedelta(seconds=299)

    response = await client.post(VERIFY, json={"phone": PHONE, "code": code})

    assert response.status_code == 200, response.text


async def test_a_used_code_cannot_be_used_again(client: httpx.AsyncClient, session: AsyncSession) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)
    assert (await client.post(VERIFY, json={"phone": PHONE, "code": code})).status_code == 200
    tokens_before = await count(session, "SELECT count(*) FROM refresh_tokens")

    problem(await client.post(VERIFY, json={"phone": PHONE, "code": code}), 400, "otp_invalid")

    assert await count(session, "SELECT count(*) FROM refresh_tokens") == tokens_before


async def test_a_new_code_keeps_the_pending_one_until_a_sign_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await request_code(client, session, PHONE, PHONE_E164)
    second = await request_code(client, session, PHONE, PHONE_E164)
    assert (await client.post(VERIFY, json={"phone": PHONE, "code": first})).status_code == 200
    # The sign-in used up every pending code of the number.
    problem(await client.post(VERIFY, json={"phone": PHONE, "code": second}), 400, "otp_invalid")


async def test_verifying_a_number_that_never_asked_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    problem(await client.post(VERIFY, json={"phone": PHONE, "code": "123456"}), 400, "otp_invalid")
    assert await count(session, "SELECT count(*) FROM users") == 0


@pytest.mark.parametrize("phone", ["0212345678", "12345", "+1 202 555 0100", "09123456789", "abc"])
async def test_a_malformed_number_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, session: AsyncSession, redis: Redis, phone: str
) -> None:
    body = problem(await client.post(REQUEST, json={"phone": phone}), 400, "invalid_phone")
    assert "0912345678" in body["detail"]
    problem(await client.post(VERIFY, json={"phone": phone, "code": "123456"}), 400, "invalid_phone")
    assert await count(session, "SELECT count(*) FROM otp_challenges") == 0
    assert await count(session, "SELECT count(*) FROM sms_outbox") == 0
    # A refused number does not use up the caller's sending budget.
    assert await redis.keys("smartcity:ratelimit:*") == []


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", "", " 123456"])
async def test_a_malformed_code_is_a_validation_problem(
    client: httpx.AsyncClient, session: AsyncSession, code: str
) -> None:
    await request_code(client, session, PHONE, PHONE_E164)
    body = problem(await client.post(VERIFY, json={"phone": PHONE, "code": code}), 422, "validation_error")
    assert body["errors"][0]["location"] == ["body", "code"]
    assert (await row(session, "SELECT attempts FROM otp_challenges")) == {"attempts": 0}


async def test_sending_is_limited_per_phone_for_each_client(
    make_client: ClientFactory, session: AsyncSession
) -> None:
    async with make_client(otp_per_phone_per_minute=10) as client:
        for _ in range(5):
            assert (await client.post(REQUEST, json={"phone": PHONE})).status_code == 202

        response = await client.post(REQUEST, json={"phone": "+84 912 345 678"})
        # Another number from the same address is still served.
        assert (await client.post(REQUEST, json={"phone": "0987654321"})).status_code == 202
    # And the number from another client.
    async with make_client(ip="198.51.100.9", otp_per_phone_per_minute=10) as elsewhere:
        assert (await elsewhere.post(REQUEST, json={"phone": PHONE})).status_code == 202

    body = problem(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 3600
    assert body["retry_after"] == retry_after
    assert await count(session, "SELECT count(*) FROM sms_outbox WHERE phone = :p", p=PHONE_E164) == 6
    assert await count(session, "SELECT count(*) FROM otp_challenges WHERE phone = :p", p=PHONE_E164) == 6


async def test_sending_to_one_number_from_every_client_is_spaced_out(make_client: ClientFactory) -> None:
    for n in range(3):
        async with make_client(ip=f"203.0.113.{n + 1}") as client:
            assert (await client.post(REQUEST, json={"phone": PHONE})).status_code == 202
    async with make_client(ip="198.51.100.9") as owner:
        response = await owner.post(REQUEST, json={"phone": PHONE})
    problem(response, 429, "rate_limited")
    # A minute at most, never the hour.
    assert 0 < int(response.headers["retry-after"]) <= 60


async def test_sending_is_limited_per_client_address(
    make_client: ClientFactory, session: AsyncSession
) -> None:
    async with make_client(ip="203.0.113.7", otp_per_ip_per_hour=3) as client:
        for phone in ("0911111111", "0922222222", "0933333333"):
            assert (await client.post(REQUEST, json={"phone": phone})).status_code == 202
        response = await client.post(REQUEST, json={"phone": "0944444444"})
        problem(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) > 0
    assert await count(session, "SELECT count(*) FROM sms_outbox WHERE phone = '+84944444444'") == 0
    async with make_client(ip="198.51.100.9", otp_per_ip_per_hour=3) as elsewhere:
        assert (await elsewhere.post(REQUEST, json={"phone": "0944444444"})).status_code == 202


async def test_the_window_slides(make_client: ClientFactory, app: FastAPI) -> None:
    async with make_client(app=app, otp_per_phone_per_hour=1) as client:
        start = datetime.now(UTC)
        app.dependency_overrides[get_now] = lambda: start
        assert (await client.post(REQUEST, json={"phone": PHONE})).status_code == 202
        problem(await client.post(REQUEST, json={"phone": PHONE}), 429, "rate_limited")
        app.dependency_overrides[get_now] = lambda: start + timedelta(seconds=3601)
        assert (await client.post(REQUEST, json={"phone": PHONE})).status_code == 202


async def test_the_answer_does_not_tell_whether_the_number_has_an_account(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in_citizen(client, session)
    known = await client.post(REQUEST, json={"phone": PHONE})
    unknown = await client.post(REQUEST, json={"phone": "0987654321"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


async def test_refusals_are_logged_without_the_number(
    client: httpx.AsyncClient, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    code = await request_code(client, session, PHONE, PHONE_E164)
    with caplog.at_level(logging.WARNING, logger="smartcity.identity"):
        await client.post(VERIFY, json={"phone": PHONE, "code": wrong(code)})
    records = [r for r in caplog.records if r.name == "smartcity.identity"]
    assert any(r.getMessage() == "wrong sign-in code" for r in records)
    assert all(PHONE_E164 not in str(vars(r)) and PHONE not in str(vars(r)) for r in records)
