"""Following a dossier: with its factor, or without one when it is hers."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from tests.dossiers.citizen.conftest import Office
from tests.support.people import PersonFactory

FOLLOWS = "/api/v1/me/dossier-follows"


async def test_following_with_the_factor_then_again_then_unfollowing(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    her = await person()
    dossier = await office.dossier()
    first = await client.post(FOLLOWS, json={"code": dossier.code, "factor": "5678"}, headers=her.headers)
    assert first.status_code == 201, first.text
    assert first.json()["following"] is True
    assert first.json()["linked"] is False
    again = await client.post(FOLLOWS, json={"code": dossier.code, "factor": "1234"}, headers=her.headers)
    assert again.status_code == 200
    assert again.json()["following"] is True
    mine = await client.get(f"/api/v1/me/dossiers/{dossier.code}", headers=her.headers)
    assert mine.status_code == 200
    assert mine.json()["following"] is True
    assert (await client.delete(f"{FOLLOWS}/{dossier.code}", headers=her.headers)).status_code == 204
    assert (await client.get(f"/api/v1/me/dossiers/{dossier.code}", headers=her.headers)).status_code == 404
    gone = await client.delete(f"{FOLLOWS}/{dossier.code}", headers=her.headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "dossier_not_found"


async def test_her_own_dossier_needs_no_factor(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    her = await person()
    dossier = await office.dossier(applicant_phone=her.user.phone)
    response = await client.post(FOLLOWS, json={"code": dossier.code}, headers=her.headers)
    assert response.status_code == 201, response.text
    assert response.json()["linked"] is True


async def test_without_the_factor_or_with_a_wrong_one_it_is_the_lookups_404_and_it_counts(
    client: httpx.AsyncClient, office: Office, person: PersonFactory, redis: Redis
) -> None:
    her = await person()
    dossier = await office.dossier()
    headers = her.headers | {"x-request-id": "follow-test"}
    without = await client.post(FOLLOWS, json={"code": dossier.code}, headers=headers)
    wrong = await client.post(FOLLOWS, json={"code": dossier.code, "factor": "0000"}, headers=headers)
    unknown = await client.post(FOLLOWS, json={"code": f"{office.agency.code}-250101-9999"}, headers=headers)
    assert without.status_code == wrong.status_code == unknown.status_code == 404
    assert without.content == wrong.content == unknown.content
    assert len(await redis.keys("smartcity:ratelimit:dossier_lookup:code:*")) == 2
    for factor in range(8):
        await client.post(FOLLOWS, json={"code": dossier.code, "factor": f"{factor:04d}"}, headers=headers)
    limited = await client.post(FOLLOWS, json={"code": dossier.code, "factor": "5678"}, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert (await client.get(f"/api/v1/me/dossiers/{dossier.code}", headers=her.headers)).status_code == 404
