"""The map's scopes: what a token says and what the units table says give the same rows."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import parse_bbox
from core.identity.principal import Principal, Role
from ioc.map.filters import NO_FILTERS
from ioc.map.repository import fetch_text, geojson_query
from ioc.map.scope import PUBLIC_SCOPE, MapScope, map_scope, token_scope
from tests.ioc.map.conftest import BOTH_WARDS, IN_A, IN_B, WARD_A, WARD_B, Callers, DeviceMaker


async def _device_ids(session: AsyncSession, scope: MapScope) -> set[str]:
    statement, params = geojson_query("devices", parse_bbox(BOTH_WARDS), NO_FILTERS, 100, scope)
    collection = json.loads(await fetch_text(session, statement, params))
    return {feature["id"] for feature in collection["features"]}


async def test_token_and_table_scopes_agree(
    session: AsyncSession, callers: Callers, device: DeviceMaker
) -> None:
    a = str((await device(IN_A, WARD_A)).id)
    b = str((await device(IN_B, WARD_B)).id)
    expected = {"37": {a, b}, WARD_A: {a}, WARD_B: {b}}
    for unit, ids in expected.items():
        principal = Principal(user_id=callers.admin.id, role=Role.OFFICER, unit_code=unit)
        by_token = token_scope(principal)
        assert by_token == MapScope.under_unit(unit)
        assert await _device_ids(session, by_token) == ids
        assert await _device_ids(session, await map_scope(session, principal)) == ids
    assert await _device_ids(session, MapScope.everything()) == {a, b}
    assert (
        token_scope(Principal(user_id=callers.admin.id, role=Role.ADMIN, unit_code=None))
        == MapScope.everything()
    )
    assert token_scope(None) == PUBLIC_SCOPE
    assert token_scope(callers.citizen.principal) == PUBLIC_SCOPE
    assert await _device_ids(session, MapScope.of_units(set())) == set()
