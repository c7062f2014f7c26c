"""The dispatch pushes carry exactly what mobile_contract/asyncapi.yaml says they carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

import mobile_contract
from core.identity.principal import Role
from tests.ioc.dispatch.helpers import WARD, World

SCHEMAS: dict[str, Any] = yaml.safe_load(
    (Path(mobile_contract.__file__).parent / "asyncapi.yaml").read_text(encoding="utf-8")
)["components"]["schemas"]
BY_KIND = {
    "dispatch_offer": "DispatchOfferPush",
    "dispatch_taken": "DispatchAnswerPush",
    "dispatch_withdrawn": "DispatchAnswerPush",
    "dispatch_escalated": "DispatchEscalatedPush",
}


def _conforms(data: dict[str, str]) -> None:
    schema = SCHEMAS[BY_KIND[data["kind"]]]
    assert set(data) == set(schema["required"]) == set(schema["properties"]), data
    assert all(isinstance(value, str) for value in data.values())


async def test_every_dispatch_push_is_as_documented(client: httpx.AsyncClient, world: World) -> None:
    officer = await world.person(Role.OFFICER, WARD)
    taker, other = await world.staff(100), await world.staff(200)
    taken = await world.alarm()
    await world.react()
    await client.post(f"/api/v1/alerts/{taken.id}/dispatch/accept", headers=taker.headers)
    withdrawn = await world.alarm()
    await world.react()
    await world.assign(withdrawn.id, officer.id)
    await world.tick()
    await world.alarm()
    await world.react()
    await world.tick(datetime.now(UTC) + timedelta(seconds=121))

    pushed = [row.data for person in (officer, taker, other) for row in await world.pushes(person.id)]
    assert {data["kind"] for data in pushed} == set(BY_KIND)
    for data in pushed:
        _conforms(data)
