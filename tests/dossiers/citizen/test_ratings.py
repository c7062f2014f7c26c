"""Rating a dossier once its result was returned, and what a deleted account leaves."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from dossiers.models import DossierFollower, DossierRating
from dossiers.types import Status
from tests.dossiers.citizen.conftest import Office
from tests.support.people import PersonFactory


def _rating(code: str) -> str:
    return f"/api/v1/me/dossiers/{code}/rating"


async def test_a_returned_dossier_is_rated_once_and_the_rating_shows(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    her = await person()
    dossier = await office.dossier(status=Status.RESULT_RETURNED, applicant_phone=her.user.phone)
    body = {"rating": "very_satisfied", "comment": "  Nhanh, chu đáo  "}
    response = await client.post(_rating(dossier.code), json=body, headers=her.headers)
    assert response.status_code == 201, response.text
    rating = response.json()["rating"]
    assert rating["rating"] == "very_satisfied"
    assert rating["comment"] == "Nhanh, chu đáo"
    again = await client.post(_rating(dossier.code), json={"rating": "not_satisfied"}, headers=her.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"
    view = (await client.get(f"/api/v1/me/dossiers/{dossier.code}", headers=her.headers)).json()
    assert view["rating"]["rating"] == "very_satisfied"


@pytest.mark.parametrize("status", [Status.IN_PROCESS, Status.RESULT_READY, Status.REFUSED])
async def test_no_rating_before_the_result_is_returned(
    client: httpx.AsyncClient, office: Office, person: PersonFactory, status: Status
) -> None:
    her = await person()
    dossier = await office.dossier(status=status, applicant_phone=her.user.phone)
    response = await client.post(_rating(dossier.code), json={"rating": "satisfied"}, headers=her.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "not_returned"
    assert await office.session.get(DossierRating, dossier.id) is None


async def test_a_follower_may_rate_a_stranger_may_not(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    follower, stranger = await person(), await person()
    dossier = await office.dossier(status=Status.RESULT_RETURNED)
    refused = await client.post(_rating(dossier.code), json={"rating": "satisfied"}, headers=stranger.headers)
    assert refused.status_code == 404
    assert refused.json()["code"] == "dossier_not_found"
    await client.post(
        "/api/v1/me/dossier-follows", json={"code": dossier.code, "factor": "5678"}, headers=follower.headers
    )
    accepted = await client.post(
        _rating(dossier.code), json={"rating": "satisfied"}, headers=follower.headers
    )
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("body", [{"rating": "great"}, {}, {"rating": "satisfied", "comment": "x" * 1001}])
async def test_bad_ratings_are_refused(
    client: httpx.AsyncClient, office: Office, person: PersonFactory, body: dict[str, str]
) -> None:
    her = await person()
    dossier = await office.dossier(status=Status.RESULT_RETURNED, applicant_phone=her.user.phone)
    assert (await client.post(_rating(dossier.code), json=body, headers=her.headers)).status_code == 422
    assert await office.session.get(DossierRating, dossier.id) is None


async def test_a_deleted_account_stops_following_and_its_ratings_name_nobody(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    her = await person()
    rated = await office.dossier(status=Status.RESULT_RETURNED, applicant_phone=her.user.phone)
    followed = await office.dossier()
    await client.post(_rating(rated.code), json={"rating": "satisfied"}, headers=her.headers)
    await client.post(
        "/api/v1/me/dossier-follows", json={"code": followed.code, "factor": "5678"}, headers=her.headers
    )
    assert (await client.delete("/api/v1/me", headers=her.headers)).status_code == 204
    session = office.session
    follows = (
        await session.execute(select(DossierFollower).where(col(DossierFollower.user_id) == her.id))
    ).all()
    assert follows == []
    rating = (
        await session.execute(
            select(col(DossierRating.user_id), col(DossierRating.rating)).where(
                col(DossierRating.dossier_id) == rated.id
            )
        )
    ).one()
    assert tuple(rating) == (None, "satisfied")
