"""GET /api/v1/feedback/inbox.csv: the inbox as a file for Excel."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.listing.csv_export import HEADER
from tests.feedback.support import IN_OTHER_WARD, OTHER_WARD, WARD, insert_report
from tests.support.people import PersonFactory

URL = "/api/v1/feedback/inbox.csv"
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


async def test_csv_content_escaping_and_scope(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person(display_name='=HYPERLINK("http://x")')
    officer = await person(Role.OFFICER, WARD)
    first = await insert_report(
        catalogue, reporter=citizen, created_at=T0, description='+1 cống vỡ, "to"\nlắm', address="@Nam Định"
    )
    second = await insert_report(catalogue, created_at=T0 + timedelta(1), description="-bad", urgent=True)
    await insert_report(catalogue, lat_lon=IN_OTHER_WARD, ward_code=OTHER_WARD, unit_code=OTHER_WARD)
    answer = await client.get(URL, headers=officer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="reports-')
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == list(HEADER)
    assert [row[0] for row in rows[1:]] == [first.code, second.code]
    record = dict(zip(HEADER, rows[1], strict=True))
    assert record["description"] == '\'+1 cống vỡ, "to"\nlắm'
    assert record["address"] == "'@Nam Định"
    assert record["reporter_name"] == '\'=HYPERLINK("http://x")'
    assert record["created_at"] == "2026-11-01T10:00:00+07:00"
    assert record["lat"] == "20.430000"
    assert record["lon"] == "106.175000"
    assert record["unit_code"] == WARD
    assert dict(zip(HEADER, rows[2], strict=True))["description"] == "'-bad"
    assert citizen.user.phone is not None
    assert citizen.user.phone not in answer.text


async def test_csv_filters_and_outside_unit(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    await insert_report(catalogue, created_at=T0)
    urgent = await insert_report(catalogue, created_at=T0, urgent=True)
    rows = list(
        csv.reader(
            io.StringIO(
                (await client.get(URL, headers=officer.headers, params={"urgent": "true"})).text.lstrip(
                    "\ufeff"
                )
            )
        )
    )
    assert [row[0] for row in rows[1:]] == [urgent.code]
    refused = await client.get(URL, headers=officer.headers, params={"unit_code": OTHER_WARD})
    assert refused.status_code == 403
    assert refused.json()["code"] == "outside_unit"
    empty = await client.get(URL, headers=officer.headers, params={"status": "closed"})
    assert empty.content.decode("utf-8-sig").splitlines() == [",".join(HEADER)]


async def test_csv_does_not_name_anonymous_reporters(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    hidden = await person(display_name="Trần Thị Ẩn Danh")
    named = await person(display_name="Lê Văn Hiện")
    officer = await person(Role.OFFICER, WARD)
    anonymous = await insert_report(catalogue, reporter=hidden, created_at=T0, anonymous=True)
    signed = await insert_report(catalogue, reporter=named, created_at=T0 + timedelta(1))
    answer = await client.get(URL, headers=officer.headers)
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    records = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert (records[anonymous.code]["anonymous"], records[anonymous.code]["reporter_name"]) == ("yes", "")
    assert records[signed.code]["reporter_name"] == "Lê Văn Hiện"
    assert "Trần Thị Ẩn Danh" not in answer.content.decode("utf-8-sig")
