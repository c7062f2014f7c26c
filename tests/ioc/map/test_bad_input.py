"""Bad input on the map: boxes, filters, limits, periods, units beyond the caller's, and callers without
access, each a clear problem."""

from __future__ import annotations

import httpx
import pytest

from tests.ioc.map.conftest import (
    BOTH_WARDS,
    IN_A,
    OUTSIDE_PROVINCE,
    TOO_LARGE,
    WARD_A,
    WARD_B,
    Callers,
    tile_path,
)

MAP = "/api/v1/map"


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("bbox", "code"),
    [
        ("106.20,20.41,106.14,20.49", "validation_error"),  # inverted
        ("106.14,20.49,106.20,20.41", "validation_error"),
        ("106.14,20.41,106.20", "validation_error"),
        ("a,b,c,d", "validation_error"),
        ("nan,20.41,106.20,20.49", "validation_error"),
        ("106.14,20.41,186.20,20.49", "validation_error"),
        (TOO_LARGE, "area_too_large"),
        (OUTSIDE_PROVINCE, "outside_province"),
    ],
)
async def test_bad_boxes(client: httpx.AsyncClient, callers: Callers, bbox: str, code: str) -> None:
    for layer in ("units", "reports", "devices"):
        response = await client.get(
            f"{MAP}/{layer}.geojson", params={"bbox": bbox}, headers=callers.admin.headers
        )
        assert_problem(response, 422, code)


@pytest.mark.parametrize(
    ("layer", "query"),
    [
        ("devices", {"colour": "red"}),
        ("alarms", {"type": "water_level"}),  # a filter of another layer
        ("reports", {"categroy": "lighting"}),
        ("units", {"unit_code": WARD_A}),
        ("devices", {"type": "toaster"}),
        ("devices", {"online": "maybe"}),
        ("alarms", {"severity": "apocalyptic"}),
        ("alarms", {"status": "cleared_acknowledged"}),
        ("reports", {"status": "lost"}),
        ("reports", {"category": "Not A Code!"}),
        ("hotspots", {"days": "0"}),
        ("hotspots", {"days": "366"}),
        ("devices", {"limit": "0"}),
        ("devices", {"limit": "5001"}),
        ("devices", {"unit_code": "1"}),
        ("warnings", {"severity": "Severe-ish"}),
    ],
)
async def test_unknown_or_bad_filters(
    client: httpx.AsyncClient, callers: Callers, layer: str, query: dict[str, str]
) -> None:
    response = await client.get(
        f"{MAP}/{layer}.geojson", params={"bbox": BOTH_WARDS, **query}, headers=callers.admin.headers
    )
    assert_problem(response, 422, "validation_error")


async def test_a_missing_box_is_refused(client: httpx.AsyncClient, callers: Callers) -> None:
    assert_problem(
        await client.get(f"{MAP}/devices.geojson", headers=callers.admin.headers), 422, "validation_error"
    )


async def test_an_officer_asking_for_another_unit(client: httpx.AsyncClient, callers: Callers) -> None:
    for layer in ("devices", "alarms", "incidents", "reports", "field-staff", "hotspots"):
        response = await client.get(
            f"{MAP}/{layer}.geojson",
            params={"bbox": BOTH_WARDS, "unit_code": WARD_B},
            headers=callers.officer_a.headers,
        )
        assert_problem(response, 403, "outside_unit")
        # His own ward, and a ward of the province for the province's officer, are fine.
        own = await client.get(
            f"{MAP}/{layer}.geojson",
            params={"bbox": BOTH_WARDS, "unit_code": WARD_A},
            headers=callers.officer_a.headers,
        )
        assert own.status_code == 200, (layer, own.text)
        wards = await client.get(
            f"{MAP}/{layer}.geojson",
            params={"bbox": BOTH_WARDS, "unit_code": WARD_B},
            headers=callers.province_officer.headers,
        )
        assert wards.status_code == 200, (layer, wards.text)
    # The province itself is beyond a ward's officer.
    response = await client.get(
        f"{MAP}/devices.geojson",
        params={"bbox": BOTH_WARDS, "unit_code": "37"},
        headers=callers.officer_a.headers,
    )
    assert_problem(response, 403, "outside_unit")


async def test_staff_layers_refuse_anonymous_callers_and_citizens(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    for layer in ("devices", "alarms", "incidents", "field-staff", "hotspots"):
        path = f"{MAP}/{layer}.geojson"
        assert_problem(await client.get(path, params={"bbox": BOTH_WARDS}), 401, "unauthenticated")
        assert_problem(
            await client.get(path, params={"bbox": BOTH_WARDS}, headers=callers.citizen.headers),
            403,
            "forbidden",
        )
    # A bad token on a public layer is refused too, rather than read as anonymous.
    bad = {"authorization": "Bearer not-a-token"}
    assert (
        await client.get(f"{MAP}/units.geojson", params={"bbox": BOTH_WARDS}, headers=bad)
    ).status_code == 401
    assert (await client.get(tile_path("units", *IN_A, 10), headers=bad)).status_code == 401


async def test_hotspot_tiles_check_their_period(client: httpx.AsyncClient, callers: Callers) -> None:
    for days in ("0", "366", "x"):
        response = await client.get(
            tile_path("hotspots", *IN_A, 12), params={"days": days}, headers=callers.admin.headers
        )
        assert_problem(response, 422, "validation_error")
