"""Her dossiers: filed under her verified phone or ID number, or followed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.identity.principal import Role
from core.settings import Settings
from dossiers.keys import id_hash
from tests.dossiers.citizen.conftest import Office
from tests.support.people import PersonFactory

MINE = "/api/v1/me/dossiers"


async def test_her_dossiers_by_phone_by_id_number_and_followed_newest_first(
    client: httpx.AsyncClient, office: Office, person: PersonFactory, settings: Settings
) -> None:
    her = await person()
    her.user.national_id_hash = id_hash(settings, "036190007777")
    await office.session.flush()
    now = datetime.now(UTC)
    by_phone = await office.dossier(
        applicant_phone=her.user.phone, id_number=None, received_at=now - timedelta(days=3)
    )
    by_id = await office.dossier(
        applicant_phone="+84900000001", id_number="036190007777", received_at=now - timedelta(days=2)
    )
    followed = await office.dossier(applicant_phone="+84900000002", received_at=now - timedelta(days=1))
    someone_elses = await office.dossier(applicant_phone="+84900000003", id_number="036190008888")
    assert (
        await client.post(
            "/api/v1/me/dossier-follows", json={"code": followed.code, "factor": "0002"}, headers=her.headers
        )
    ).status_code == 201

    response = await client.get(MINE, headers=her.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["code"] for item in items] == [followed.code, by_id.code, by_phone.code]
    assert [(item["linked"], item["following"]) for item in items] == [
        (False, True),
        (True, False),
        (True, False),
    ]
    assert items[0]["status"]["code"] == 4
    assert items[0]["procedure"]["code"] == office.procedure.code
    assert someone_elses.code not in response.text

    one = await client.get(f"{MINE}/{by_id.code}", headers=her.headers)
    assert one.status_code == 200
    assert one.json()["linked"] is True
    assert one.json()["rating"] is None
    other = await client.get(f"{MINE}/{someone_elses.code}", headers=her.headers)
    assert other.status_code == 404
    assert other.json()["code"] == "dossier_not_found"


async def test_her_list_pages_with_a_cursor(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    her = await person()
    now = datetime.now(UTC)
    codes = [
        (await office.dossier(applicant_phone=her.user.phone, received_at=now - timedelta(hours=n))).code
        for n in range(5)
    ]
    first = (await client.get(MINE, params={"limit": 2}, headers=her.headers)).json()
    second = (
        await client.get(MINE, params={"limit": 2, "cursor": first["next_cursor"]}, headers=her.headers)
    ).json()
    third = (
        await client.get(MINE, params={"limit": 2, "cursor": second["next_cursor"]}, headers=her.headers)
    ).json()
    seen = [item["code"] for page in (first, second, third) for item in page["items"]]
    assert seen == codes
    assert third["next_cursor"] is None
    bad = await client.get(MINE, params={"cursor": "nonsense"}, headers=her.headers)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_only_citizens_have_dossiers(
    client: httpx.AsyncClient, office: Office, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, "13666")
    assert (await client.get(MINE, headers=officer.headers)).status_code == 403
    assert (await client.get(MINE)).status_code == 401
