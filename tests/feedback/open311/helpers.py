"""Helpers for the Open311 request tests (no tests here): answers in both formats, photos, timeline rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.models import Report, ReportPhoto, TimelineEntry
from feedback.reports.status import ReportStatus, TimelineKind

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def as_json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    return response.json()


def as_xml(response: httpx.Response, root: str, status: int = 200) -> ElementTree.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == XML
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    element = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, no external entities
    assert element.tag == root
    return element


def assert_error(response: httpx.Response, status: int, fragment: str = "") -> str:
    """An Open311 error list in JSON with `status` as its code; returns the description."""
    body = as_json(response, status)
    assert isinstance(body, list)
    assert len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    assert fragment in body[0]["description"]
    description: str = body[0]["description"]
    return description


def assert_xml_error(response: httpx.Response, status: int, fragment: str = "") -> None:
    root = as_xml(response, "errors", status)
    assert [child.tag for child in root] == ["error"]
    error = root[0]
    assert [child.tag for child in error] == ["code", "description"]
    assert error.findtext("code") == str(status)
    assert fragment in (error.findtext("description") or "")


async def add_photo(session: AsyncSession, report: Report, *, kind: str = "report", position: int = 0) -> str:
    key = f"reports/{uuid.uuid4().hex}.jpg"
    session.add(
        ReportPhoto(
            id=uuid.uuid4(),
            report_id=report.id,
            kind=kind,
            position=position,
            media_key=key,
            thumbnail_key=key.replace(".jpg", "_t.jpg"),
            content_type="image/jpeg",
            width=640,
            height=480,
            byte_size=1000,
        )
    )
    await session.flush()
    return key


async def add_entry(
    session: AsyncSession,
    report: Report,
    kind: TimelineKind,
    at: datetime,
    *,
    to_status: ReportStatus | None = None,
    note: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        report_id=report.id,
        at=at,
        kind=kind,
        from_status=None,
        to_status=to_status,
        actor_id=actor_id,
        actor_role="officer",
        note=note,
        data={},
    )
    session.add(entry)
    await session.flush()
    return entry
