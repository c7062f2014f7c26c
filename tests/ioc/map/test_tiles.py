"""Vector tiles: contents per layer and zoom, clusters, the caller's units, empty tiles and cache headers."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from ioc.map.layers import LAYERS, LayerId
from tests.ioc.map.conftest import (
    IN_A,
    IN_A_NEAR,
    IN_B,
    WARD_A,
    WARD_B,
    Callers,
    DeviceMaker,
    features,
    tile_path,
)
from tests.ioc.map.conftest import properties as props


async def test_units_tile_draws_the_province_and_its_wards(
    client: httpx.AsyncClient, province: AsyncSession
) -> None:
    response = await client.get(tile_path("units", *IN_A, 10))
    found = {p["code"]: p for p in props(response, "units")}
    assert found["37"]["level"] == "province"
    assert found[WARD_A] == {
        "code": WARD_A,
        "name": "Phường Nam Định",
        "name_en": found[WARD_A]["name_en"],
        "level": "ward",
    }
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert "vary" not in response.headers
    # Wards are left out where they would be a few pixels wide.
    assert {p["level"] for p in props(await client.get(tile_path("units", *IN_A, 6)), "units")} == {
        "province"
    }


async def test_units_shapes_follow_a_boundary_change(
    client: httpx.AsyncClient, province: AsyncSession
) -> None:
    from sqlalchemy import text

    before = await client.get(tile_path("units", *IN_A, 12))
    await province.execute(
        text("UPDATE admin_units SET boundary = ST_Multi(ST_Buffer(centroid, 0.001)) WHERE code = :code"),
        {"code": WARD_A},
    )
    after = await client.get(tile_path("units", *IN_A, 12))
    assert after.headers["etag"] != before.headers["etag"]


async def test_devices_cluster_at_low_zoom_and_split_at_high_zoom(
    client: httpx.AsyncClient, callers: Callers, device: DeviceMaker
) -> None:
    first = await device(IN_A, WARD_A, metrics={"level_cm": 35.0})
    await device(IN_A_NEAR, WARD_A, type_="camera_traffic", online=False)
    headers = callers.admin.headers
    clustered = props(await client.get(tile_path("devices", *IN_A, 9), headers=headers), "devices")
    assert [(p["count"], "id" in p, p["level"], p["offline"]) for p in clustered] == [(2, False, 3, 1)]
    single = props(await client.get(tile_path("devices", *IN_A, 16), headers=headers), "devices")
    by_id = {p["id"]: p for p in single}
    assert by_id[str(first.id)] == {
        "count": 1,
        "id": str(first.id),
        "type": "water_level",
        "online": True,
        "level": 3,
        "metric": "level_cm",
        "value": 35.0,
    }
    camera = next(p for p in single if p["type"] == "camera_traffic")
    assert camera["online"] is False
    assert "level" not in camera
    assert "metric" not in camera


async def test_an_officer_sees_only_his_wards_devices(
    client: httpx.AsyncClient, callers: Callers, device: DeviceMaker
) -> None:
    mine = await device(IN_A, WARD_A)
    theirs = await device(IN_B, WARD_B)
    for z in (15, 13):
        seen_a = {
            p["id"]
            for p in props(
                await client.get(tile_path("devices", *IN_A, z), headers=callers.officer_a.headers), "devices"
            )
        }
        seen_b = {
            p["id"]
            for p in props(
                await client.get(tile_path("devices", *IN_B, z), headers=callers.officer_a.headers), "devices"
            )
        }
        assert str(mine.id) in seen_a
        assert str(theirs.id) not in seen_a | seen_b
    # Clustered, the other ward's device counts for nobody but its own staff and the province's.
    low = tile_path("devices", *IN_A, 8)
    for caller, count in ((callers.officer_a, 1), (callers.officer_b, 1), (callers.province_officer, 2)):
        assert (
            sum(p["count"] for p in props(await client.get(low, headers=caller.headers), "devices")) == count
        )


async def test_a_staff_layer_refuses_anonymous_callers_and_citizens(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    for layer in ("devices", "alarms", "incidents", "field-staff", "hotspots"):
        path = tile_path(layer, *IN_A, 12)
        anonymous = await client.get(path)
        assert anonymous.status_code == 401, layer
        assert anonymous.json()["code"] == "unauthenticated"
        citizen = await client.get(path, headers=callers.citizen.headers)
        assert citizen.status_code == 403, layer
        assert citizen.json()["code"] == "forbidden"
        assert (await client.get(f"/tiles/{layer}.json")).status_code == 401


async def test_tiles_outside_the_zooms_range_are_refused(
    client: httpx.AsyncClient, province: AsyncSession
) -> None:
    for path in (
        "/tiles/units/23/0/0.pbf",
        "/tiles/units/-1/0/0.pbf",
        "/tiles/units/1/2/0.pbf",
        "/tiles/units/1/0/2.pbf",
        "/tiles/units/0/0/-1.pbf",
        "/tiles/units/3/99999999999/0.pbf",
        "/tiles/units/a/0/0.pbf",
    ):
        response = await client.get(path)
        assert response.status_code == 422, path
        assert response.json()["code"] == "validation_error"


async def test_an_unknown_layer_is_not_found(client: httpx.AsyncClient, province: AsyncSession) -> None:
    for path in ("/tiles/roads/1/0/0.pbf", "/tiles/roads.json", "/api/v1/map/roads.geojson?bbox=1,1,2,2"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


async def test_an_empty_tile_is_204(client: httpx.AsyncClient, callers: Callers) -> None:
    response = await client.get("/tiles/devices/3/0/0.pbf", headers=callers.admin.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["cache-control"] == "private, max-age=5"


async def test_etag_and_304_and_caching_by_caller(
    client: httpx.AsyncClient, callers: Callers, device: DeviceMaker
) -> None:
    await device(IN_A, WARD_A)
    path = tile_path("devices", *IN_A, 14)
    first = await client.get(path, headers=callers.officer_a.headers)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=5"
    assert first.headers["vary"] == "Authorization"
    again = await client.get(path, headers={**callers.officer_a.headers, "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["vary"] == "Authorization"
    stale = await client.get(path, headers={**callers.officer_a.headers, "if-none-match": '"other"'})
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_public_reports_tile_for_anonymous_callers(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    from feedback.reports.status import ReportStatus
    from tests.feedback.support import insert_report

    shown = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]))
    hidden = await insert_report(province, lat_lon=(IN_A_NEAR[1], IN_A_NEAR[0]), is_public=False)
    closed = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), status=ReportStatus.CLOSED)
    path = tile_path("reports", *IN_A, 16)
    anonymous = await client.get(path)
    seen = {p["id"] for p in props(anonymous, "reports")}
    assert seen == {str(shown.id)}
    assert anonymous.headers["cache-control"] == "public, max-age=15"
    assert anonymous.headers["vary"] == "Authorization"
    staff = {p["id"] for p in props(await client.get(path, headers=callers.officer_a.headers), "reports")}
    assert staff == {str(shown.id), str(hidden.id)}
    assert str(closed.id) not in staff
    one = next(p for p in props(anonymous, "reports"))
    assert set(one) == {"count", "id", "category", "status", "created_at"}
    # At a city's zoom, reports are clusters with a count.
    clustered = props(
        await client.get(tile_path("reports", *IN_A, 12), headers=callers.admin.headers), "reports"
    )
    assert sum(p["count"] for p in clustered) == 2


async def test_every_layer_answers_a_tile_in_the_province(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    for layer_id in LAYERS:
        for z in (9, 16):
            response = await client.get(tile_path(layer_id.value, *IN_A, z), headers=callers.admin.headers)
            assert response.status_code in (200, 204), (layer_id, z, response.text)
            if response.status_code == 200:
                assert all("geometry" in f for f in features(response, layer_id.value))
    assert LayerId.UNITS in LAYERS
