"""A metric's history: raw readings, 1m/5m buckets from the readings, 1h from the rollup plus the recent
hours from the readings; range rules; who may read it; a camera's events in cursor pages."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from httpx import AsyncClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.identity.principal import Role
from core.media import media_storage
from core.settings import Settings
from iot.telemetry import rollups
from tests.iot.support import IN_OTHER_WARD, WARD
from tests.iot.telemetry.support import add_device, add_readings, count
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _get(client: AsyncClient, headers: dict[str, str], device_id: object, **params: Any) -> Any:
    response = await client.get(f"/api/v1/devices/{device_id}/telemetry", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_raw_points_in_order_skip_readings_without_the_metric(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    device = await add_device(session)
    other = await add_device(session)
    await add_readings(
        session,
        device.id,
        [
            (T0 + timedelta(seconds=20), {"pm25": 12.5}),
            (T0, {"pm25": 10.0, "pm10": 20.0}),
            (T0 + timedelta(seconds=40), {"pm10": 33.0}),
            (T0 + timedelta(hours=3), {"pm25": 99.0}),  # outside the range
        ],
    )
    await add_readings(session, other.id, [(T0 + timedelta(seconds=5), {"pm25": 500.0})])
    officer = await person(Role.OFFICER, WARD)
    body = await _get(
        client,
        officer.headers,
        device.id,
        metric="pm25",
        bucket="raw",
        **{"from": _z(T0), "to": _z(T0 + timedelta(hours=1))},
    )
    assert [(p["ts"], p["value"]) for p in body["points"]] == [
        ("2026-03-02T08:00:00Z", 10.0),
        ("2026-03-02T08:00:20Z", 12.5),
    ]
    assert body["buckets"] == []
    assert body["truncated"] is False
    assert body["from"] == "2026-03-02T08:00:00Z"
    assert body["bucket"] == "raw"


async def test_minute_and_five_minute_buckets_aggregate_the_readings(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    device = await add_device(session)
    await add_readings(
        session,
        device.id,
        [
            (T0 + timedelta(seconds=10), {"laeq_db": 50}),
            (T0 + timedelta(seconds=50), {"laeq_db": 70}),
            (T0 + timedelta(minutes=1, seconds=5), {"laeq_db": 61}),
            (T0 + timedelta(minutes=7), {"laeq_db": 40}),
        ],
    )
    admin = await person(Role.ADMIN)
    window = {"from": _z(T0 + timedelta(seconds=30)), "to": _z(T0 + timedelta(minutes=9))}
    minute = await _get(client, admin.headers, device.id, metric="laeq_db", bucket="1m", **window)
    # The range is widened to whole buckets, so the first bucket is complete.
    assert minute["from"] == "2026-03-02T08:00:00Z"
    assert minute["to"] == "2026-03-02T08:09:00Z"
    assert [(b["start"][11:16], b["avg"], b["min"], b["max"], b["count"]) for b in minute["buckets"]] == [
        ("08:00", 60.0, 50.0, 70.0, 2),
        ("08:01", 61.0, 61.0, 61.0, 1),
        ("08:07", 40.0, 40.0, 40.0, 1),
    ]
    five = await _get(client, admin.headers, device.id, metric="laeq_db", bucket="5m", **window)
    assert [(b["start"][11:16], b["min"], b["max"], b["count"]) for b in five["buckets"]] == [
        ("08:00", 50.0, 70.0, 3),
        ("08:05", 40.0, 40.0, 1),
    ]
    assert five["points"] == []


async def test_hours_come_from_the_rollup_and_the_recent_ones_from_raw(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    device = await add_device(session)
    now = utcnow()
    live = rollups.live_window_start(now)
    old_hour = live - timedelta(hours=5)
    # An old hour known only through the rollup (its raw readings are gone), and readings of the current
    # hour that no rollup has seen yet.
    await session.execute(
        text(
            "INSERT INTO device_readings_hourly (device_id, metric, hour, n, sum, min, max) "
            "VALUES (:d, 'pm25', :h, 4, 100, 10, 40)"
        ),
        {"d": device.id, "h": old_hour},
    )
    current = rollups.hour_start(now)
    await add_readings(
        session, device.id, [(current, {"pm25": 8.0}), (current + timedelta(seconds=1), {"pm25": 12.0})]
    )
    admin = await person(Role.ADMIN)
    body = await _get(
        client,
        admin.headers,
        device.id,
        metric="pm25",
        bucket="1h",
        **{"from": _z(old_hour - timedelta(hours=1)), "to": _z(now + timedelta(minutes=1))},
    )
    assert [(b["start"], b["avg"], b["min"], b["max"], b["count"]) for b in body["buckets"]] == [
        (_z(old_hour), 25.0, 10.0, 40.0, 4),
        (_z(current), 10.0, 8.0, 12.0, 2),
    ]


async def test_default_range_is_the_last_day_in_five_minute_buckets(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    device = await add_device(session)
    now = utcnow()
    await add_readings(
        session,
        device.id,
        [(now - timedelta(hours=2), {"pm25": 1.0}), (now - timedelta(hours=30), {"pm25": 2.0})],
    )
    admin = await person(Role.ADMIN)
    body = await _get(client, admin.headers, device.id, metric="pm25")
    assert body["bucket"] == "5m"
    assert [b["count"] for b in body["buckets"]] == [1]
    span = datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"])
    assert timedelta(hours=24) <= span <= timedelta(hours=24, minutes=10)


async def test_raw_answer_is_bounded(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iot.telemetry import service

    monkeypatch.setattr(service, "RAW_MAX_POINTS", 3)
    device = await add_device(session)
    await add_readings(
        session, device.id, [(T0 + timedelta(seconds=i), {"pm25": float(i)}) for i in range(5)]
    )
    admin = await person(Role.ADMIN)
    body = await _get(
        client,
        admin.headers,
        device.id,
        metric="pm25",
        bucket="raw",
        **{"from": _z(T0), "to": _z(T0 + timedelta(hours=1))},
    )
    assert [p["value"] for p in body["points"]] == [0.0, 1.0, 2.0]
    assert body["truncated"] is True


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"metric": "pm25", "from": "2026-03-02T10:00:00Z", "to": "2026-03-02T10:00:00Z"}, "before"),
        ({"metric": "pm25", "from": "2026-03-02T10:00:00Z", "to": "2026-03-02T09:00:00Z"}, "before"),
        (
            {"metric": "pm25", "bucket": "raw", "from": "2026-03-01T00:00:00Z", "to": "2026-03-03T00:00:01Z"},
            "2 days",
        ),
        (
            {"metric": "pm25", "bucket": "1m", "from": "2026-03-01T00:00:00Z", "to": "2026-03-08T00:00:01Z"},
            "7 days",
        ),
        (
            {"metric": "pm25", "bucket": "5m", "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:01Z"},
            "31 days",
        ),
        (
            {"metric": "pm25", "bucket": "1h", "from": "2025-01-01T00:00:00Z", "to": "2026-01-02T00:00:01Z"},
            "366 days",
        ),
        ({"metric": "pm25", "from": "9999-12-31T23:59:00Z"}, "1970"),
        ({"metric": "PM25"}, "metric"),
        ({"metric": "pm25", "bucket": "2m"}, "bucket"),
        ({"metric": "pm25", "from": "2026-03-02T10:00:00"}, "from"),  # no offset
        ({"from": "2026-03-02T10:00:00Z"}, "metric"),
    ],
)
async def test_bad_queries_are_422_and_change_nothing(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, params: dict[str, str], needle: str
) -> None:
    device = await add_device(session)
    await add_readings(session, device.id, [(T0, {"pm25": 1.0})])
    before = (await count(session, "device_readings"), await count(session, "device_readings_hourly"))
    admin = await person(Role.ADMIN)
    response = await client.get(
        f"/api/v1/devices/{device.id}/telemetry",
        headers={**admin.headers, "accept-language": "en"},
        params=params,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"
    assert needle in json.dumps(response.json())
    assert (await count(session, "device_readings"), await count(session, "device_readings_hourly")) == before


async def test_who_may_read_a_history(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    device = await add_device(session, IN_OTHER_WARD)
    await add_readings(session, device.id, [(T0, {"pm25": 1.0})])
    path = f"/api/v1/devices/{device.id}/telemetry"
    params = {"metric": "pm25", "bucket": "raw", "from": _z(T0), "to": _z(T0 + timedelta(hours=1))}
    outsider = await person(Role.OFFICER, WARD)
    response = await client.get(path, headers=outsider.headers, params=params)
    assert response.status_code == 403
    assert response.json()["code"] == "outside_unit"
    citizen = await person()
    assert (await client.get(path, headers=citizen.headers, params=params)).status_code == 403
    assert (await client.get(path, params=params)).status_code == 401
    province = await person(Role.FIELD_STAFF, "37")
    assert len((await _get(client, province.headers, device.id, **params))["points"]) == 1
    missing = await client.get(
        "/api/v1/devices/00000000-0000-4000-8000-000000000000/telemetry",
        headers=province.headers,
        params=params,
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "device_not_found"


async def _add_events(session: AsyncSession, device_id: object, moments: list[datetime]) -> None:
    for seq, ts in enumerate(moments, start=1):
        await session.execute(
            text(
                "INSERT INTO device_camera_events (device_id, ts, seq, type, confidence, plate, "
                "bbox, location, "
                "ward_code) VALUES (:d, :ts, :seq, 'speeding', 0.9, '18A-12345', "
                'CAST(\'{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}\' AS jsonb), '
                "ST_SetSRID(ST_MakePoint(106.175, 20.43), 4326), :ward)"
            ),
            {"d": device_id, "ts": ts, "seq": seq, "ward": WARD},
        )


async def test_camera_events_newest_first_in_cursor_pages(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    camera = await add_device(session, device_type="camera_traffic")
    other = await add_device(session, device_type="camera_traffic")
    # Two events share a timestamp: seq breaks the tie.
    moments = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1), T0 + timedelta(seconds=5), T0]
    await _add_events(session, camera.id, moments[:4])
    await _add_events(session, other.id, moments[4:])
    officer = await person(Role.OFFICER, WARD)
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            f"/api/v1/devices/{camera.id}/events", headers=officer.headers, params=params
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["seq"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [4, 3, 2, 1]
    first = page["items"][-1]
    assert first["plate"] == "18A-12345"
    assert first["bbox"] == {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}
    assert first["location"] == {"lat": 20.43, "lon": 106.175}
    assert first["ward_code"] == WARD
    bad = await client.get(
        f"/api/v1/devices/{camera.id}/events", headers=officer.headers, params={"cursor": "bm9wZQ"}
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_camera_events_outside_the_unit_are_refused(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    camera = await add_device(session, IN_OTHER_WARD, device_type="camera_security")
    outsider = await person(Role.OFFICER, WARD)
    response = await client.get(f"/api/v1/devices/{camera.id}/events", headers=outsider.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "outside_unit"
    citizen = await person()
    refused = await client.get(f"/api/v1/devices/{camera.id}/events", headers=citizen.headers)
    assert refused.status_code == 403


async def test_a_cameras_snapshot_url_is_signed_and_private(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    camera = await add_device(session, device_type="camera_security")
    snapshot = Image.new("RGB", (8, 8), (secrets.randbelow(256), 30, 60))
    buffer = BytesIO()
    snapshot.save(buffer, format="JPEG")
    key = media_storage(settings).put(buffer.getvalue(), "image/jpeg")
    await _add_events(session, camera.id, [T0])
    await session.execute(
        text("UPDATE device_camera_events SET snapshot_key = :key WHERE device_id = :d"),
        {"key": key, "d": camera.id},
    )
    officer = await person(Role.OFFICER, WARD)
    page = await client.get(f"/api/v1/devices/{camera.id}/events", headers=officer.headers)
    assert page.status_code == 200, page.text
    item = page.json()["items"][0]
    assert item["snapshot_key"] == key
    url = item["snapshot_url"]
    assert urlsplit(url).path == f"/media/{key}"
    assert parse_qs(urlsplit(url).query)["exp"] != ["0"]
    assert (await client.get(f"/media/{key}")).status_code == 404
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private, max-age=")
