"""Anyone reads the current warnings: as a list with ward and box filters, and as an Atom feed aggregators
poll (with ETag and Last-Modified). Expired warnings leave the list by the clock and stay readable by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from ioc.warnings import service
from ioc.warnings.schemas import WarningIn, WarningRead
from tests.ioc.warnings.conftest import (
    CAP,
    IN_NAM_DINH,
    WARNINGS,
    CapCheck,
    assert_problem,
    iso,
    polygon,
    publish,
    warning_body,
)
from tests.support.people import Person

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = f"{WARNINGS}.atom"


async def _publish_at(
    session: AsyncSession, officer: Person, settings: Settings, sent: datetime, **changes: Any
) -> WarningRead:
    """A warning sent at `sent` (in the past, so its expiry may have passed by now)."""
    body = WarningIn.model_validate(warning_body(**changes))
    return await service.publish(
        session, officer.principal, body, sender=settings.ioc_warnings_sender, now=sent
    )


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_current_means_neither_expired_nor_cancelled(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession, settings: Settings
) -> None:
    now = datetime.now(UTC)
    expired = await _publish_at(
        session,
        officer,
        settings,
        now - timedelta(hours=3),
        onset=iso(now - timedelta(hours=3)),
        expires=iso(now - timedelta(hours=1)),
    )
    upcoming = (
        await publish(
            client, officer, onset=iso(now + timedelta(hours=12)), expires=iso(now + timedelta(hours=20))
        )
    ).json()
    in_effect = (await publish(client, officer)).json()
    cancelled = (await publish(client, officer)).json()
    await client.post(f"{WARNINGS}/{cancelled['id']}/cancel", headers=officer.headers)

    listed = {item["id"]: item["state"] for item in (await client.get(WARNINGS)).json()["items"]}

    assert listed == {in_effect["id"]: "in_effect", upcoming["id"]: "upcoming"}
    old = await client.get(f"{WARNINGS}/{expired.id}")
    assert old.status_code == 200
    assert old.json()["state"] == "expired"
    assert (await client.get(f"{WARNINGS}/{expired.id}.cap")).status_code == 200


async def test_filters_by_ward_and_box(client: httpx.AsyncClient, officer: Person) -> None:
    nam_dinh = (await publish(client, officer)).json()
    drawn = (await publish(client, officer, area={"polygon": polygon(IN_NAM_DINH)})).json()
    my_loc = (await publish(client, officer, area={"ward_codes": ["13735"]})).json()

    assert _ids(await client.get(WARNINGS, params={"ward_code": "13735"})) == [my_loc["id"]]
    in_nam_dinh = {drawn["id"], nam_dinh["id"]}
    assert set(_ids(await client.get(WARNINGS, params={"ward_code": "13666"}))) == in_nam_dinh
    # A box inside the drawn square, in ward 13666, far from 13735.
    box = await client.get(WARNINGS, params={"bbox": "106.169,20.430,106.173,20.433"})
    assert set(_ids(box)) == in_nam_dinh
    assert _ids(await client.get(WARNINGS, params={"bbox": "106.30,20.60,106.40,20.70"})) == []


async def test_pages_go_from_the_newest(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession, settings: Settings
) -> None:
    now = datetime.now(UTC)
    published = [
        str((await _publish_at(session, officer, settings, now - timedelta(minutes=minutes))).id)
        for minutes in (3, 2, 1)
    ]

    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(WARNINGS, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == published[::-1]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"bbox": "106.2,20.4,106.1,20.5"}, 422, "validation_error"),
        ({"bbox": "105.0,20.0,107.0,21.0"}, 422, "area_too_large"),
        ({"ward_code": "37"}, 422, "validation_error"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, 400, "invalid_cursor"),
        ({"limit": 0}, 422, "validation_error"),
    ],
)
async def test_bad_filters_are_refused(
    client: httpx.AsyncClient, params: dict[str, Any], status: int, code: str
) -> None:
    assert_problem(await client.get(WARNINGS, params=params), status, code)


async def test_the_feed_links_each_current_warning_to_its_cap_message(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    first = (await publish(client, officer)).json()
    second = (await publish(client, officer, area={"polygon": polygon(IN_NAM_DINH)})).json()
    cancelled = (await publish(client, officer)).json()
    await client.post(f"{WARNINGS}/{cancelled['id']}/cancel", headers=officer.headers)

    response = await client.get(FEED, params={"lang": "en"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml"
    root = etree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    entries = root.findall(f"{ATOM}entry")
    by_identifier = {entry.findtext(f"{CAP}identifier"): entry for entry in entries}
    assert set(by_identifier) == {first["identifier"], second["identifier"]}
    for warning in (first, second):
        entry = by_identifier[warning["identifier"]]
        assert entry.findtext(f"{ATOM}title") == warning["headline"]["en"]
        [link] = [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
        assert link.get("type") == "application/cap+xml"
        assert link.get("href") == f"http://testserver{warning['cap_url']}"
        valid_cap((await client.get(warning["cap_url"])).content)
    assert by_identifier[second["identifier"]].findtext(f"{CAP}polygon").startswith("20.429,106.168 ")
    assert [value.text for value in by_identifier[first["identifier"]].iter(f"{CAP}value")] == ["13666"]


async def test_the_feed_answers_304_until_it_changes(client: httpx.AsyncClient, officer: Person) -> None:
    warning = (await publish(client, officer)).json()
    first = await client.get(FEED)
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    assert (await client.get(FEED, headers={"If-None-Match": etag})).status_code == 304
    assert (await client.get(FEED, headers={"If-Modified-Since": modified})).status_code == 304
    past = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert (await client.get(FEED, headers={"If-Modified-Since": past})).status_code == 200

    await client.post(f"{WARNINGS}/{warning['id']}/cancel", headers=officer.headers)

    changed = await client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert etree.fromstring(changed.content).findall(f"{ATOM}entry") == []


async def test_a_cap_message_answers_304_while_it_is_current(
    client: httpx.AsyncClient, officer: Person
) -> None:
    warning = (await publish(client, officer)).json()
    first = await client.get(warning["cap_url"])
    etag = first.headers["etag"]

    assert (await client.get(warning["cap_url"], headers={"If-None-Match": f"W/{etag}"})).status_code == 304

    await client.put(f"{WARNINGS}/{warning['id']}", json=warning_body(), headers=officer.headers)
    assert (await client.get(warning["cap_url"], headers={"If-None-Match": etag})).status_code == 200
