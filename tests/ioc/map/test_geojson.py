"""GeoJSON layers: features and properties per layer, filters, limits, and the caller's units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from ioc.dispatch.models import FieldStatus
from ioc.incidents.models import Incident
from ioc.types import Severity
from tests.feedback.support import insert_report
from tests.ioc.map.conftest import (
    BOTH_WARDS,
    IN_A,
    IN_A_NEAR,
    IN_B,
    WARD_A,
    WARD_B,
    Callers,
    DeviceMaker,
    tile_path,
)
from tests.ioc.map.conftest import properties as tile_properties
from tests.ioc.warnings.conftest import warning_body
from tests.support.alarms import make_alarm, make_rule

MAP = "/api/v1/map"


async def layer(
    client: httpx.AsyncClient, name: str, headers: dict[str, str] | None = None, **query: Any
) -> Any:
    response = await client.get(
        f"{MAP}/{name}.geojson", params={"bbox": BOTH_WARDS, **query}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return body


def ids(collection: Any) -> set[str]:
    return {feature["properties"]["id"] for feature in collection["features"]}


async def test_devices_with_levels_filters_and_units(
    client: httpx.AsyncClient, callers: Callers, device: DeviceMaker
) -> None:
    flooded = await device(IN_A, WARD_A, metrics={"level_cm": 45.0})
    air = await device(IN_A_NEAR, WARD_A, type_="air_quality", metrics={"pm25": 60.0}, online=False)
    other = await device(IN_B, WARD_B, type_="noise", metrics={"laeq_db": 50.0})
    everything = await layer(client, "devices", callers.admin.headers)
    assert ids(everything) == {str(flooded.id), str(air.id), str(other.id)}
    assert everything["truncated"] is False
    feature = next(f for f in everything["features"] if f["id"] == str(flooded.id))
    assert feature["geometry"] == {"type": "Point", "coordinates": [IN_A[0], IN_A[1]]}
    assert feature["properties"] == {
        "count": 1,
        "id": str(flooded.id),
        "type": "water_level",
        "online": True,
        "level": 4,
        "metric": "level_cm",
        "value": 45.0,
    }
    levels = {f["properties"]["id"]: f["properties"]["level"] for f in everything["features"]}
    assert levels == {str(flooded.id): 4, str(air.id): 2, str(other.id): 0}
    assert ids(await layer(client, "devices", callers.officer_a.headers)) == {str(flooded.id), str(air.id)}
    assert ids(await layer(client, "devices", callers.admin.headers, type="air_quality")) == {str(air.id)}
    assert ids(await layer(client, "devices", callers.admin.headers, online="false")) == {str(air.id)}
    assert ids(await layer(client, "devices", callers.admin.headers, unit_code=WARD_B)) == {str(other.id)}
    limited = await layer(client, "devices", callers.admin.headers, limit=2)
    assert len(limited["features"]) == 2
    assert limited["truncated"] is True


async def test_alarms_of_the_callers_units_with_filters(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    rule = await make_rule(province, callers.admin.id)
    a = await make_alarm(
        province, rule, unit_code=WARD_A, severity=Severity.CRITICAL, lon=IN_A[0], lat=IN_A[1]
    )
    b = await make_alarm(province, rule, unit_code=WARD_B, lon=IN_B[0], lat=IN_B[1])
    cleared = await make_alarm(province, rule, unit_code=WARD_A, lon=IN_A[0], lat=IN_A[1])
    cleared.cleared_at, cleared.status = datetime.now(UTC), "cleared_unacknowledged"
    await province.flush()
    assert ids(await layer(client, "alarms", callers.admin.headers)) == {str(a.id), str(b.id)}
    mine = await layer(client, "alarms", callers.officer_a.headers)
    assert ids(mine) == {str(a.id)}
    properties = mine["features"][0]["properties"]
    assert properties["severity"] == "critical"
    assert properties["unit_code"] == WARD_A
    assert properties["status"] == "active_unacknowledged"
    assert properties["raised_at"].endswith("Z")
    assert properties["title"] == rule.name
    assert ids(await layer(client, "alarms", callers.admin.headers, severity="warning")) == {str(b.id)}
    # Tiles hold the same rule: the officer of ward A never sees ward B's alarm.
    seen = {
        p.get("id")
        for p in tile_properties(
            await client.get(tile_path("alarms", *IN_B, 15), headers=callers.officer_a.headers), "alarms"
        )
    }
    assert str(b.id) not in seen
    seen_admin = {
        p.get("id")
        for p in tile_properties(
            await client.get(tile_path("alarms", *IN_B, 15), headers=callers.admin.headers), "alarms"
        )
    }
    assert str(b.id) in seen_admin


async def test_reports_open_by_default_and_public_view(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    open_a = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]))
    private_a = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), is_public=False)
    closed_a = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), status=ReportStatus.CLOSED)
    open_b = await insert_report(
        province, lat_lon=(IN_B[1], IN_B[0]), ward_code=WARD_B, unit_code=WARD_B, category_code="lighting"
    )
    public = await layer(client, "reports")
    assert ids(public) == {str(open_a.id), str(open_b.id)}
    assert set(public["features"][0]["properties"]) == {"count", "id", "category", "status", "created_at"}
    assert ids(await layer(client, "reports", callers.officer_a.headers)) == {
        str(open_a.id),
        str(private_a.id),
    }
    assert ids(await layer(client, "reports", callers.admin.headers, status="closed")) == {str(closed_a.id)}
    assert ids(await layer(client, "reports", callers.admin.headers, category="lighting")) == {str(open_b.id)}
    # A unit filter on the public view filters public reports, and refuses nothing.
    assert ids(await layer(client, "reports", unit_code=WARD_B)) == {str(open_b.id)}


async def test_hotspots_count_reports_of_the_period(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    now = datetime.now(UTC)
    for _ in range(3):
        await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), status=ReportStatus.CLOSED)
    await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), created_at=now - timedelta(days=40))
    recent = await layer(client, "hotspots", callers.admin.headers)
    assert [f["properties"] for f in recent["features"]] == [{"count": 3}]
    assert recent["features"][0]["geometry"]["type"] == "Polygon"
    assert (
        sum(
            f["properties"]["count"]
            for f in (await layer(client, "hotspots", callers.admin.headers, days=60))["features"]
        )
        == 4
    )
    assert (await layer(client, "hotspots", callers.officer_b.headers))["features"] == []
    tile = tile_properties(
        await client.get(tile_path("hotspots", *IN_A, 12), headers=callers.admin.headers), "hotspots"
    )
    assert tile == [{"count": 3}]
    # At a street's zoom the reports are found by place rather than by period: the same count.
    street = await client.get(tile_path("hotspots", *IN_A, 15), headers=callers.admin.headers)
    assert tile_properties(street, "hotspots") == [{"count": 3}]


async def test_units_incidents_field_staff_and_warnings(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    units = await layer(client, "units", level="ward")
    codes = {f["properties"]["code"] for f in units["features"]}
    assert {WARD_A, WARD_B} <= codes
    assert "37" not in codes
    assert units["features"][0]["geometry"]["type"] == "MultiPolygon"

    now = datetime.now(UTC)
    x, y = IN_A
    incident = Incident(
        code="SC-2026-000001",
        unit_code=WARD_A,
        severity="major",
        title_vi="Ngập",
        title_en="Flooding",
        footprint=f"SRID=4326;POLYGON(({x} {y}, {x + 0.001} {y}, {x + 0.001} {y + 0.001}, {x} {y}))",
        alarm_count=2,
        report_count=1,
        first_seen_at=now,
        last_seen_at=now,
    )
    province.add(incident)
    province.add(
        FieldStatus(
            user_id=callers.field_a.id,
            on_duty=True,
            position=f"SRID=4326;POINT({IN_A[0]} {IN_A[1]})",
            position_at=now,
            updated_at=now,
        )
    )
    await province.flush()
    incidents = await layer(client, "incidents", callers.officer_a.headers)
    assert [f["properties"] for f in incidents["features"]] == [
        {
            "count": 1,
            "id": str(incident.id),
            "status": "open",
            "title": "Ngập",
            "title_en": "Flooding",
            "alarms": 2,
            "reports": 1,
        }
    ]
    assert (await layer(client, "incidents", callers.officer_b.headers))["features"] == []
    staff = await layer(client, "field-staff", callers.officer_a.headers)
    assert [(f["properties"]["id"], f["properties"]["available"]) for f in staff["features"]] == [
        (str(callers.field_a.id), True)
    ]
    assert (await layer(client, "field-staff", callers.officer_b.headers))["features"] == []

    published = await client.post("/api/v1/warnings", json=warning_body(), headers=callers.officer_a.headers)
    assert published.status_code == 201, published.text
    warnings = await layer(client, "warnings")
    assert [f["properties"]["severity"] for f in warnings["features"]] == ["Severe"]
    assert warnings["features"][0]["properties"]["headline"] == "Ngập sâu trên đường Trần Hưng Đạo"
    tile = tile_properties(await client.get(tile_path("warnings", *IN_A, 12)), "warnings")
    assert [p["event_en"] for p in tile] == ["Street flooding"]
