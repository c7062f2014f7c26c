"""Limits that stop guessing without letting a stranger deny service to a named person: every limit is per
client first; what is counted per account only slows it down, and a pending code is never replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth_routes import get_now
from tests.core.identity.conftest import ClientFactory
from tests.core.identity.support import (
    PHONE,
    PHONE_E164,
    STAFF_PASSWORD,
    count,
    latest_code,
    make_staff,
    problem,
)

LOGIN = "/api/v1/auth/login"
REQUEST = "/api/v1/auth/otp/request"
VERIFY = "/api/v1/auth/otp/verify"


async def test_a_stranger_cannot_lock_an_officer_out(make_client: ClientFactory, units: AsyncSession) -> None:
    await make_staff(units, "officer.one")
    async with make_client(ip="203.0.113.66") as stranger:
        for _ in range(10):
            problem(
                await stranger.post(LOGIN, json={"username": "officer.one", "password": "a guess"}),
                401,
                "invalid_credentials",
            )
        # The stranger's own client is stopped...
        problem(
            await stranger.post(LOGIN, json={"username": "officer.one", "password": "a guess"}),
            429,
            "rate_limited",
        )
    # ...while the officer, from their own client, signs in.
    async with make_client(ip="198.51.100.20") as officer:
        response = await officer.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD})
        assert response.status_code == 200, response.text


async def test_guessing_one_username_from_many_clients_is_slowed_for_a_minute(
    make_client: ClientFactory, units: AsyncSession
) -> None:
    await make_staff(units, "officer.one")
    for n in range(4):
        async with make_client(ip=f"203.0.113.{n + 1}", login_failures_per_username_per_minute=8) as client:
            for _ in range(2):
                problem(
                    await client.post(LOGIN, json={"username": "officer.one", "password": "a guess"}),
                    401,
                    "invalid_credentials",
                )
    async with make_client(ip="203.0.113.99", login_failures_per_username_per_minute=8) as client:
        response = await client.post(LOGIN, json={"username": "officer.one", "password": STAFF_PASSWORD})
        problem(response, 429, "rate_limited")
        # A wait of a minute at most, never a lockout of the whole window.
        assert 0 < int(response.headers["retry-after"]) <= 60


async def test_a_stranger_cannot_use_up_a_victims_codes(
    make_client: ClientFactory, app: FastAPI, session: AsyncSession
) -> None:
    start = datetime.now(UTC)
    app.dependency_overrides[get_now] = lambda: start
    async with make_client(app=app, ip="203.0.113.66") as stranger:
        for _ in range(3):
            assert (await stranger.post(REQUEST, json={"phone": PHONE})).status_code == 202
        # The stranger's client has a budget for this number, and the number a short spacing.
        problem(await stranger.post(REQUEST, json={"phone": PHONE}), 429, "rate_limited")
    app.dependency_overrides[get_now] = lambda: start + timedelta(seconds=61)
    async with make_client(app=app, ip="198.51.100.20") as victim:
        response = await victim.post(REQUEST, json={"phone": PHONE})
        assert response.status_code == 202, response.text
        code = await latest_code(session, PHONE_E164)
        # More requests by the stranger do not take the code the victim is typing away.
        async with make_client(app=app, ip="203.0.113.67") as another:
            assert (await another.post(REQUEST, json={"phone": PHONE})).status_code == 202
        verified = await victim.post(VERIFY, json={"phone": PHONE, "code": code})
        assert verified.status_code == 200, verified.text
    assert await count(session, "SELECT count(*) FROM users WHERE phone = :p", p=PHONE_E164) == 1


async def test_a_pending_code_stays_good_when_another_is_sent(
    make_client: ClientFactory, session: AsyncSession
) -> None:
    async with make_client(ip="198.51.100.20") as victim:
        assert (await victim.post(REQUEST, json={"phone": PHONE})).status_code == 202
        first = await latest_code(session, PHONE_E164)
    async with make_client(ip="203.0.113.66") as stranger:
        assert (await stranger.post(REQUEST, json={"phone": PHONE})).status_code == 202
    async with make_client(ip="198.51.100.20") as victim:
        response = await victim.post(VERIFY, json={"phone": PHONE, "code": first})
        assert response.status_code == 200, response.text


async def test_guessing_codes_from_one_client_stops_there_and_the_owner_still_signs_in(
    make_client: ClientFactory, app: FastAPI, session: AsyncSession
) -> None:
    async with make_client(ip="198.51.100.20") as victim:
        assert (await victim.post(REQUEST, json={"phone": PHONE})).status_code == 202
        code = await latest_code(session, PHONE_E164)
    wrong = "000000" if code != "000000" else "111111"
    async with make_client(ip="203.0.113.66", otp_verify_per_ip_per_hour=3, otp_max_attempts=10) as guesser:
        for _ in range(3):
            assert (await guesser.post(VERIFY, json={"phone": PHONE, "code": wrong})).status_code == 400
        # The guesser's address is out of checks for the hour, whatever it sends.
        refused = await guesser.post(VERIFY, json={"phone": PHONE, "code": code})
        problem(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) > 0
    async with make_client(ip="198.51.100.20", otp_max_attempts=10) as victim:
        verified = await victim.post(VERIFY, json={"phone": PHONE, "code": code})
        assert verified.status_code == 200, verified.text
