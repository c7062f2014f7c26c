"""An officer publishes a warning: it is stored with its CAP header, served as valid CAP 1.2, sent on the live
channel and pushed to the phones following its wards."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.events.models import OutboxEvent
from core.push.models import PushLanguage
from core.push.repository import notifications
from core.settings import Settings
from tests.ioc.warnings.conftest import (
    ACROSS_TWO_WARDS,
    CAP,
    IN_NAM_DINH,
    WARNINGS,
    CapCheck,
    Follower,
    polygon,
    publish,
)
from tests.support.alarms import make_alarm, make_rule
from tests.support.people import Person

IDENTIFIER = re.compile(r"^smartcity-37-20[0-9]{2}-[0-9]{6}$")
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


def _texts(element: Any, name: str) -> list[str]:
    return [child.text for child in element.iter(f"{CAP}{name}")]


async def test_a_published_warning_is_an_alert_with_its_cap_header(
    client: httpx.AsyncClient, officer: Person, settings: Settings
) -> None:
    response = await publish(client, officer)

    assert response.status_code == 201, response.text
    warning = response.json()
    assert IDENTIFIER.match(warning["identifier"]), warning["identifier"]
    assert (warning["status"], warning["msg_type"], warning["scope"]) == ("Actual", "Alert", "Public")
    assert warning["sender"] == settings.ioc_warnings_sender
    assert warning["state"] == "in_effect"
    assert warning["area"]["ward_codes"] == ["13666"]
    assert warning["area"]["affected_ward_codes"] == ["13666"]
    assert warning["area"]["description"] == {"vi": "Phường Nam Định", "en": "Nam Dinh Ward"}
    assert warning["cap_url"] == f"{WARNINGS}/{warning['id']}.cap"
    assert [m["msg_type"] for m in warning["messages"]] == ["Alert"]

    again = await client.get(f"{WARNINGS}/{warning['id']}")
    assert again.status_code == 200
    assert again.json()["identifier"] == warning["identifier"]


async def test_its_cap_document_is_valid_with_an_info_per_language(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    warning = (await publish(client, officer)).json()

    response = await client.get(warning["cap_url"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/cap+xml"
    alert = valid_cap(response.content)
    assert alert.findtext(f"{CAP}identifier") == warning["identifier"]
    assert CAP_TIME.match(alert.findtext(f"{CAP}sent"))
    assert (alert.findtext(f"{CAP}status"), alert.findtext(f"{CAP}msgType")) == ("Actual", "Alert")
    assert alert.find(f"{CAP}references") is None
    infos = alert.findall(f"{CAP}info")
    assert [info.findtext(f"{CAP}language") for info in infos] == ["vi-VN", "en-US"]
    assert [info.findtext(f"{CAP}headline") for info in infos] == [
        "Ngập sâu trên đường Trần Hưng Đạo",
        "Deep flooding on Tran Hung Dao street",
    ]
    assert [info.findtext(f"{CAP}severity") for info in infos] == ["Severe", "Severe"]
    assert all(CAP_TIME.match(info.findtext(f"{CAP}expires")) for info in infos)
    [area] = infos[0].findall(f"{CAP}area")
    assert area.findtext(f"{CAP}areaDesc") == "Phường Nam Định"
    geocodes = [
        (g.findtext(f"{CAP}valueName"), g.findtext(f"{CAP}value")) for g in area.iter(f"{CAP}geocode")
    ]
    assert geocodes == [("GSO", "13666")]


async def test_cap_polygons_are_closed_lat_lon_rings(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    drawn = {"ward_codes": [], "polygon": polygon(IN_NAM_DINH)}
    warning = (await publish(client, officer, area=drawn)).json()
    assert warning["area"]["ward_codes"] == []
    assert warning["area"]["affected_ward_codes"] == ["13666"]
    assert warning["area"]["polygon"]["coordinates"] == [IN_NAM_DINH]

    alert = valid_cap((await client.get(warning["cap_url"])).content)

    for info in alert.findall(f"{CAP}info"):
        [ring] = _texts(info, "polygon")
        pairs = [tuple(float(part) for part in pair.split(",")) for pair in ring.split(" ")]
        assert pairs == [(lat, lon) for lon, lat in IN_NAM_DINH]  # lat,lon: the reverse of GeoJSON
        assert pairs[0] == pairs[-1]
        assert _texts(info, "geocode") == []  # a drawn area has no ward code of its own


async def test_a_ward_area_is_drawn_with_the_wards_boundary(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    warning = (await publish(client, officer, area={"ward_codes": ["13666", "13684"]})).json()

    alert = valid_cap((await client.get(warning["cap_url"])).content)

    vi = alert.findall(f"{CAP}info")[0]
    rings = _texts(vi, "polygon")
    assert len(rings) == 2  # one part each
    for ring in rings:
        pairs = ring.split(" ")
        assert len(pairs) >= 4
        assert pairs[0] == pairs[-1]
        lat, lon = (float(part) for part in pairs[0].split(","))
        assert 20.3 < lat < 20.6  # lat first
        assert 106.0 < lon < 106.3
    assert [g.findtext(f"{CAP}value") for g in vi.iter(f"{CAP}geocode")] == ["13666", "13684"]


async def test_phones_following_the_wards_are_pushed_in_their_language(
    client: httpx.AsyncClient, officer: Person, follower: Follower, session: AsyncSession
) -> None:
    vi_phone = await follower(["13666"])
    en_phone = await follower(["13972", "13684"], language=PushLanguage.EN)
    elsewhere = await follower(["13972"])

    warning = (
        await publish(client, officer, area={"ward_codes": ["13666"], "polygon": polygon(ACROSS_TWO_WARDS)})
    ).json()

    assert warning["area"]["affected_ward_codes"] == ["13666", "13684"]
    rows = (await session.execute(select(notifications))).all()
    assert {row.user_id for row in rows} == {vi_phone.id, en_phone.id}
    assert elsewhere.id not in {row.user_id for row in rows}
    for row in rows:
        assert row.data == {
            "kind": "warning",
            "warning_id": warning["id"],
            "severity": "Severe",
            "msg_type": "Alert",
        }
        assert row.high_priority is True
        assert (row.title_vi, row.title_en) == (warning["headline"]["vi"], warning["headline"]["en"])
        assert row.device_token_id is not None


async def test_a_moderate_warning_does_not_wake_the_phone(
    client: httpx.AsyncClient, officer: Person, follower: Follower, session: AsyncSession
) -> None:
    await follower(["13666"])

    await publish(client, officer, severity="Moderate")

    [row] = (await session.execute(select(notifications))).all()
    assert row.high_priority is False


async def test_an_event_per_ward_goes_on_the_warnings_topic(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession
) -> None:
    warning = (await publish(client, officer, area={"ward_codes": ["13666", "13684"]})).json()

    events = (
        (await session.execute(select(OutboxEvent).where(col(OutboxEvent.type) == "warnings.published")))
        .scalars()
        .all()
    )
    assert sorted(str(event.unit_code) for event in events) == ["13666", "13684"]
    for event in events:
        assert event.subject_id == warning["id"]
        assert event.location is not None
        data = event.data
        assert data["identifier"] == warning["identifier"]
        assert data["severity"] == "Severe"
        assert data["ward_codes"] == ["13666", "13684"]
        assert data["cap_url"] == warning["cap_url"]


async def test_a_ward_officer_publishes_for_his_ward_and_an_admin_anywhere(
    client: httpx.AsyncClient, ward_officer: Person, admin: Person
) -> None:
    mine = await publish(client, ward_officer, area={"polygon": polygon(IN_NAM_DINH)})
    assert mine.status_code == 201, mine.text

    anywhere = await publish(client, admin, area={"ward_codes": ["13984", "13735"]})
    assert anywhere.status_code == 201, anywhere.text
    assert anywhere.json()["area"]["description"]["en"] == "Hong Quang Ward, My Loc Ward"


async def test_an_alarm_of_the_officers_units_may_be_linked(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession, valid_cap: CapCheck
) -> None:
    alarm = await make_alarm(session, await make_rule(session, officer.id))
    incident = "7d1c1a52-3f4b-4e61-a0f2-8a9e3b6c5d40"

    response = await publish(client, officer, alarm_id=str(alarm.id), incident_id=incident)

    assert response.status_code == 201, response.text
    warning = response.json()
    assert (warning["alarm_id"], warning["incident_id"]) == (str(alarm.id), incident)
    alert = valid_cap((await client.get(warning["cap_url"])).content)
    assert alert.findtext(f"{CAP}incidents") == incident
