"""Open311 servicerequestupdates (the FixMyStreet extension): public status changes of public reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus, TimelineKind
from tests.feedback.open311.helpers import (
    add_entry,
    add_photo,
    as_json,
    as_xml,
    assert_error,
    assert_xml_error,
)
from tests.feedback.support import insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")
URL = "/open311/v2/servicerequestupdates"
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]
NOW = datetime.now(UTC)


async def test_updates_in_json_map_kinds_to_fixmystreet_statuses(
    client: httpx.AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
) -> None:
    officer = await person(Role.OFFICER, "13666", display_name="Cán Bộ Kín Tên")
    reporter = await person(display_name="Người Dân Kín Tên")
    report = await insert_report(session, reporter=reporter, created_at=NOW - timedelta(hours=5))
    proof = await add_photo(session, report, kind="proof")
    at = NOW - timedelta(hours=4)
    steps = [
        (TimelineKind.SUBMITTED, ReportStatus.SUBMITTED, None),
        (TimelineKind.ACCEPTED, ReportStatus.ACCEPTED, "ghi chú nội bộ"),
        (TimelineKind.ASSIGNED, ReportStatus.ASSIGNED, "giao cho anh Ba"),
        (TimelineKind.DUE_SOON, None, None),
        (TimelineKind.STARTED, ReportStatus.IN_PROGRESS, None),
        (TimelineKind.RESOLVED, ReportStatus.RESOLVED, "Đã vá xong ổ gà"),
        (TimelineKind.REOPENED, ReportStatus.ASSIGNED, "Tôi là Người Dân Kín Tên, chưa sửa"),
        (TimelineKind.RATED, ReportStatus.CLOSED, "Tôi là Người Dân Kín Tên, hài lòng"),
    ]
    entries = [
        await add_entry(
            session,
            report,
            kind,
            at + timedelta(minutes=index),
            to_status=status,
            note=note,
            actor_id=officer.id,
        )
        for index, (kind, status, note) in enumerate(steps)
    ]

    response = await client.get(f"{URL}.json", headers={"accept-language": "en"})
    body = as_json(response)

    assert list(body) == ["service_request_updates"]
    updates = body["service_request_updates"]
    assert all(list(update) == UPDATE_FIELDS for update in updates)
    shown = [entry for entry in entries if entry.kind not in (TimelineKind.SUBMITTED, TimelineKind.DUE_SOON)]
    assert [update["update_id"] for update in updates] == [str(entry.id) for entry in shown]
    assert {update["service_request_id"] for update in updates} == {report.code}
    assert [update["status"] for update in updates] == [
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "FIXED",
        "OPEN",
        "CLOSED",
    ]
    assert [update["external_status_code"] for update in updates] == [
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        "assigned",
        "closed",
    ]
    descriptions = [update["description"] for update in updates]
    assert descriptions[3] == "Đã vá xong ổ gà"
    assert descriptions[5] == "The report has been rated and closed"
    # Notes that may be between staff, or the reporter's own words, give way to a generic sentence.
    assert descriptions[0] == "The report has been accepted and is being looked into"
    assert descriptions[4] == "The report has been reopened"
    assert [update["media_url"].split("?")[0] for update in updates] == [
        "",
        "",
        "",
        f"http://testserver/media/{proof}",
        "",
        "",
    ]
    assert "?exp=0&sig=" in updates[3]["media_url"]
    assert datetime.fromisoformat(updates[0]["updated_datetime"]) == entries[1].at
    for secret in ("Kín Tên", "anh Ba", "nội bộ", str(officer.id), str(reporter.id)):
        assert secret not in response.text


async def test_updates_in_xml(client: httpx.AsyncClient, session: AsyncSession) -> None:
    report = await insert_report(session, created_at=NOW - timedelta(hours=3), status=ReportStatus.REJECTED)
    await add_entry(
        session,
        report,
        TimelineKind.REJECTED,
        NOW - timedelta(hours=2),
        to_status=ReportStatus.REJECTED,
        note="Không thuộc phạm vi",
    )

    root = as_xml(await client.get(f"{URL}.xml"), "service_request_updates")

    assert [child.tag for child in root] == ["request_update"]
    update = root[0]
    assert [child.tag for child in update] == UPDATE_FIELDS
    assert update.findtext("service_request_id") == report.code
    assert update.findtext("status") == "NO_FURTHER_ACTION"
    assert update.findtext("description") == "Không thuộc phạm vi"
    assert update.findtext("media_url") == ""  # an empty element: no proof photo


async def test_private_reports_and_old_changes_are_left_out(
    client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    private = await insert_report(session, is_public=False)
    await add_entry(
        session, private, TimelineKind.ACCEPTED, NOW - timedelta(hours=1), to_status=ReportStatus.ACCEPTED
    )
    public = await insert_report(session, created_at=NOW - timedelta(days=3))
    old = await add_entry(
        session, public, TimelineKind.ACCEPTED, NOW - timedelta(hours=30), to_status=ReportStatus.ACCEPTED
    )
    merged = await add_entry(
        session, public, TimelineKind.MERGED, NOW - timedelta(hours=2), to_status=ReportStatus.CLOSED
    )

    async def ids(**params: str) -> list[str]:
        body = as_json(await client.get(f"{URL}.json", params=params))
        return [update["update_id"] for update in body["service_request_updates"]]

    # No dates: the last 24 hours.
    assert await ids() == [str(merged.id)]
    # FixMyStreet's window: both dates.
    assert await ids(
        start_date=(NOW - timedelta(hours=31)).isoformat(), end_date=(NOW - timedelta(hours=29)).isoformat()
    ) == [str(old.id)]
    assert await ids(start_date=(NOW - timedelta(hours=31)).isoformat()) == [str(old.id), str(merged.id)]
    assert await ids(page_size="1", page="2", start_date=(NOW - timedelta(days=2)).isoformat()) == [
        str(merged.id)
    ]
    body = as_json(await client.get(f"{URL}.json"))
    assert body["service_request_updates"][0]["status"] == "DUPLICATE"


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "not a date"},
        {"end_date": "2026-11-20T10:00:00"},
        {"start_date": "2026-11-20T10:00:00Z", "end_date": "2026-11-19T10:00:00Z"},
        {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"page_size": "5000"},
    ],
)
async def test_bad_dates_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert_error(await client.get(f"{URL}.json", params=params), 400)
    assert_xml_error(await client.get(f"{URL}.xml", params=params), 400)


async def test_unknown_format_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"{URL}.csv"), 404)


async def test_a_rating_is_an_update_only_when_it_closes_and_closing_notes_stay_internal(
    client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    report = await insert_report(session, created_at=NOW - timedelta(hours=5), status=ReportStatus.CLOSED)
    closed = await add_entry(
        session,
        report,
        TimelineKind.CLOSED,
        NOW - timedelta(hours=3),
        to_status=ReportStatus.CLOSED,
        note="Đóng theo chỉ đạo nội bộ",
    )
    await add_entry(session, report, TimelineKind.RATED, NOW - timedelta(hours=2), note="Chưa hài lòng lắm")

    body = as_json(await client.get(f"{URL}.json"))

    assert [
        (update["update_id"], update["status"], update["description"])
        for update in body["service_request_updates"]
    ] == [
        (str(closed.id), "CLOSED", "Phản ánh đã được đóng"),
    ]
