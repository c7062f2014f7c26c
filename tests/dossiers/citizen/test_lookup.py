"""The public lookup by code and second factor."""

from __future__ import annotations

import httpx

from tests.dossiers.citizen.conftest import Office

LOOKUP = "/api/v1/dossiers/lookup"
SAME_REQUEST = {"x-request-id": "lookup-test"}


async def test_the_last_four_digits_of_the_phone_open_the_dossier(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")
    response = await client.post(LOOKUP, json={"code": dossier.code, "factor": "5678"})
    assert response.status_code == 200, response.text
    assert response.json()["code"] == dossier.code
