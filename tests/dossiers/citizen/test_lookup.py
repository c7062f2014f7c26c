"""The public lookup by code and second factor, and its limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import raw_connection
from core.errors import ProblemError
from core.settings import Settings
from dossiers.citizen import service
from tests.dossiers.citizen.conftest import Office

LOOKUP = "/api/v1/dossiers/lookup"
SAME_REQUEST = {"x-request-id": "lookup-test"}


async def test_the_last_four_digits_of_the_phone_open_the_dossier(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678", id_number="036190001234")
    response = await client.post(LOOKUP, json={"code": dossier.code, "factor": "5678"})
    assert response.status_code == 200, response.text
    assert response.json()["code"] == dossier.code


async def test_the_last_four_digits_of_the_id_number_open_it_too(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone=None, id_number="036190004321")
    response = await client.post(LOOKUP, json={"code": dossier.code, "factor": "4321"})
    assert response.status_code == 200, response.text
    assert response.json()["code"] == dossier.code


async def test_a_code_typed_in_lower_case_with_spaces_is_the_same_code(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier()
    response = await client.post(LOOKUP, json={"code": f"  {dossier.code.lower()} ", "factor": "5678"})
    assert response.status_code == 200, response.text


async def test_a_wrong_factor_answers_exactly_as_an_unknown_code(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678", id_number="036190001234")
    other = await office.dossier(applicant_phone="+84900001111", id_number="036190002222")
    unknown = f"{office.agency.code}-250101-9999"
    wrong = await client.post(LOOKUP, json={"code": dossier.code, "factor": "1111"}, headers=SAME_REQUEST)
    # The other dossier's digits are no factor of this one.
    crossed = await client.post(LOOKUP, json={"code": dossier.code, "factor": "2222"}, headers=SAME_REQUEST)
    missing = await client.post(LOOKUP, json={"code": unknown, "factor": "5678"}, headers=SAME_REQUEST)
    assert wrong.status_code == crossed.status_code == missing.status_code == 404
    assert wrong.content == crossed.content == missing.content
    assert wrong.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
    assert wrong.json()["code"] == "dossier_not_found"
    assert dossier.code not in wrong.text
    assert other.code not in crossed.text


@pytest.mark.parametrize(
    "body",
    [
        {"code": "not-a-code", "factor": "5678"},
        {"code": "000.00.22.H56-2504-0001", "factor": "5678"},
        {"code": "000.00.22.H56-250424-0001", "factor": "567"},
        {"code": "000.00.22.H56-250424-0001", "factor": "56a8"},
        {"code": "000.00.22.H56-250424-0001"},
        {"code": "000.00.22.H56-250424-0001", "factor": "5678", "phone": "+84912345678"},
    ],
)
async def test_malformed_lookups_are_refused_before_anything_is_counted(
    client: httpx.AsyncClient, redis: Redis, body: dict[str, str]
) -> None:
    response = await client.post(LOOKUP, json=body)
    assert response.status_code == 422, response.text
    assert await redis.keys("smartcity:ratelimit:dossier_lookup:*") == []


async def _try(
    session: AsyncSession, redis: Redis, settings: Settings, code: str, factor: str, ip: str, now: datetime
) -> int:
    try:
        await service.lookup(
            await raw_connection(session), redis, settings, code=code, factor=factor, client_ip=ip, now=now
        )
    except ProblemError as problem:
        return problem.status
    return 200


async def test_one_client_gets_a_limited_number_of_failures_then_429_until_the_window_passes(
    client: httpx.AsyncClient, office: Office, redis: Redis, settings: Settings
) -> None:
    limits = settings.model_copy(update={"dossier_lookup_failures_per_ip_per_hour": 3})
    dossier = await office.dossier()
    now = datetime.now(UTC)
    codes = [f"{office.agency.code}-250101-{n:04d}" for n in range(3)]
    assert [await _try(office.session, redis, limits, c, "0000", "10.0.0.1", now) for c in codes] == [404] * 3
    # Past the budget even the right factor is refused: a 200 would tell a guesser the answer.
    assert await _try(office.session, redis, limits, dossier.code, "5678", "10.0.0.1", now) == 429
    # Another client is not held back by this one.
    assert await _try(office.session, redis, limits, dossier.code, "5678", "10.0.0.2", now) == 200
    # An hour later the failures have left the window.
    later = now + timedelta(hours=1, seconds=1)
    assert await _try(office.session, redis, limits, dossier.code, "5678", "10.0.0.1", later) == 200


async def test_one_code_gets_a_limited_number_of_failures_from_every_client(
    office: Office, redis: Redis, settings: Settings
) -> None:
    limits = settings.model_copy(update={"dossier_lookup_failures_per_code_per_day": 4})
    dossier = await office.dossier()
    now = datetime.now(UTC)
    tries = [
        await _try(office.session, redis, limits, dossier.code, f"{n:04d}", f"10.1.0.{n}", now)
        for n in range(4)
    ]
    assert tries == [404] * 4
    assert await _try(office.session, redis, limits, dossier.code, "5678", "10.9.9.9", now) == 429
    tomorrow = now + timedelta(days=1, seconds=1)
    assert await _try(office.session, redis, limits, dossier.code, "5678", "10.9.9.9", tomorrow) == 200


async def test_successful_lookups_use_up_no_budget(office: Office, redis: Redis, settings: Settings) -> None:
    limits = settings.model_copy(
        update={"dossier_lookup_failures_per_ip_per_hour": 2, "dossier_lookup_failures_per_code_per_day": 2}
    )
    dossier = await office.dossier()
    now = datetime.now(UTC)
    results = [
        await _try(office.session, redis, limits, dossier.code, "5678", "10.2.0.1", now) for _ in range(10)
    ]
    assert results == [200] * 10


async def test_the_429_is_a_problem_with_retry_after(
    client: httpx.AsyncClient, office: Office, redis: Redis, app: object
) -> None:
    dossier = await office.dossier()
    statuses = []
    for factor in range(11):
        response = await client.post(LOOKUP, json={"code": dossier.code, "factor": f"{factor:04d}"})
        statuses.append(response.status_code)
    assert statuses == [404] * 10 + [429]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) > 0
