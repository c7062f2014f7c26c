"""Citizen reports as Open311 GeoReport v2 service requests: the documents and the parsing of the spec's
query parameters (the queries are in feedback/open311/repository.py).

A service_request_id is the report's code (PA-2026-000123). Only public reports are ever listed, and no
answer carries who filed a report or how to reach them: the contact an Open311 client sends is for officers.

servicerequestupdates is the extension FixMyStreet reads (its Open311::GetServiceRequestUpdates): the public
status changes of public reports, with statuses in its vocabulary (UPDATE_STATUSES below).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, Field

from core.calendar.working_days import LOCAL_ZONE
from core.errors import Language, Message, ProblemError
from core.media.signing import MediaUrls
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.open311.repository import RequestQuery, RequestRow, UpdateRow
from feedback.reports.models import (
    REPORT_CODE_PATTERN,
    Report,
)
from feedback.reports.read import photo_url
from feedback.reports.status import PUBLIC_NOTE_KINDS, ReportStatus, TimelineKind, open311_status

# GET requests: the spec's default window and its longest one.
REQUESTS_WINDOW = timedelta(days=90)
# servicerequestupdates with no dates: FixMyStreet always sends both (the last two hours by default); a
# day covers any client that polls less often.
UPDATES_WINDOW = timedelta(hours=24)
DEFAULT_PAGE_SIZE = 100
# Updates are not paged by FixMyStreet, so one page should hold a whole polling window.
DEFAULT_UPDATES_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
# OFFSET paging walks every row before the page: a page may end at most this deep into a list, which
# keeps the deepest page as cheap as ten full ones. A client that needs more narrows the date window.
MAX_DEPTH = 10_000
MAX_IDS = 1000

# FixMyStreet's update statuses (it lowercases them and reads "_" as a space), per timeline entry kind:
# - accepted: INVESTIGATING (the unit has taken it in and looks into it);
# - assigned: ACTION_SCHEDULED (someone is named to fix it); started: IN_PROGRESS; resolved: FIXED;
# - rejected: NO_FURTHER_ACTION (FixMyStreet's "unable to fix"; a rejection is not always a matter of
#   responsibility, so NOT_COUNCILS_RESPONSIBILITY would say more than we know);
# - closed: CLOSED (after a fix: by an officer or automatically), and so is a rating that closes a resolved
#   report (rated with a new status; a rating alone changes nothing public); merged: DUPLICATE;
# - reopened: OPEN (the citizen says it is not fixed; it goes back to the assignee).
UPDATE_STATUSES: dict[TimelineKind, str] = {
    TimelineKind.ACCEPTED: "INVESTIGATING",
    TimelineKind.ASSIGNED: "ACTION_SCHEDULED",
    TimelineKind.STARTED: "IN_PROGRESS",
    TimelineKind.RESOLVED: "FIXED",
    TimelineKind.REJECTED: "NO_FURTHER_ACTION",
    TimelineKind.CLOSED: "CLOSED",
    TimelineKind.RATED: "CLOSED",
    TimelineKind.MERGED: "DUPLICATE",
    TimelineKind.REOPENED: "OPEN",
}
# Only the notes of PUBLIC_NOTE_KINDS are shown. Other notes may be between staff, or the reporter's own
# words (reopening, rating): a generic sentence stands in for them.
UPDATE_DESCRIPTIONS: dict[TimelineKind, Message] = {
    TimelineKind.ACCEPTED: Message(
        "Phản ánh đã được tiếp nhận và đang được xem xét",
        "The report has been accepted and is being looked into",
    ),
    TimelineKind.ASSIGNED: Message("Phản ánh đã được giao cho người xử lý", "The report has been assigned"),
    TimelineKind.STARTED: Message("Phản ánh đang được xử lý", "Work on the report has started"),
    TimelineKind.RESOLVED: Message("Phản ánh đã được xử lý xong", "The problem has been fixed"),
    TimelineKind.REJECTED: Message("Phản ánh không được tiếp nhận", "The report was not accepted"),
    TimelineKind.CLOSED: Message("Phản ánh đã được đóng", "The report has been closed"),
    TimelineKind.RATED: Message("Phản ánh đã được đánh giá và đóng", "The report has been rated and closed"),
    TimelineKind.MERGED: Message(
        "Phản ánh trùng với một phản ánh khác và đã được gộp",
        "The report duplicates another one and was merged into it",
    ),
    TimelineKind.REOPENED: Message("Phản ánh đã được mở lại", "The report has been reopened"),
}


class Open311Request(BaseModel):
    """One public report as a GeoReport v2 service request (XML `<service_requests><request>`)."""

    service_request_id: str = Field(examples=["PA-2026-000123"])
    status: str = Field(description="open or closed.", examples=["open"])
    status_notes: str | None = None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float
    long: float
    media_url: str | None = None


class Open311Created(BaseModel):
    """The answer to POST requests (XML `<service_requests><request>`)."""

    service_request_id: str
    token: str
    service_notice: str | None = None
    account_id: str | None = None


class Open311Token(BaseModel):
    """The answer to GET tokens/{token} (XML `<service_requests><request>`)."""

    service_request_id: str
    token: str


class Open311RequestUpdate(BaseModel):
    """One public change of a report (XML `<service_request_updates><request_update>`)."""

    update_id: str
    service_request_id: str
    status: str = Field(examples=["IN_PROGRESS"])
    updated_datetime: datetime
    description: str
    media_url: str = Field(description="The proof photo of a fix; empty when there is none.")
    external_status_code: str = Field(description="The report's own status after the change.")


class Open311Updates(BaseModel):
    """The servicerequestupdates document: FixMyStreet reads `service_request_updates` in both formats."""

    service_request_updates: list[Open311RequestUpdate]


# Query parameters ---------------------------------------------------------------------------------------


def bad_request(message: Message) -> ProblemError:
    return ProblemError(400, "validation_error", message)


def parse_datetime(name: str, raw: str) -> datetime:
    """A W3C datetime with its zone, or a date (midnight in Vietnam); anything else is a 400."""
    value = raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), time(), LOCAL_ZONE)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    # Far years are refused rather than carried into arithmetic and the database, where they overflow.
    if parsed is None or parsed.tzinfo is None or not 1900 <= parsed.year <= 9000:
        raise bad_request(
            Message(
                f"{name} phải là thời điểm theo W3C có múi giờ, ví dụ 2026-11-20T08:00:00+07:00",
                f"{name} must be a W3C datetime with a time zone, e.g. 2026-11-20T08:00:00+07:00",
            )
        )
    return parsed


def date_window(
    start_raw: str | None,
    end_raw: str | None,
    *,
    now: datetime,
    default: timedelta,
    longest: timedelta | None,
) -> tuple[datetime, datetime]:
    """The [start, end] window: none gives the last `default`; end alone the `default` before it; start
    alone runs to now, or to the end of the longest window."""
    start = parse_datetime("start_date", start_raw) if start_raw else None
    end = parse_datetime("end_date", end_raw) if end_raw else None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - default
    if end is None:
        # From start up to now, as far as the longest window allows.
        end = min(now, start + longest) if longest is not None else now
    if start > end:
        raise bad_request(Message("start_date phải trước end_date", "start_date must come before end_date"))
    if longest is not None and end - start > longest:
        raise bad_request(
            Message(
                f"Khoảng thời gian không được dài quá {longest.days} ngày",
                f"The window may not span more than {longest.days} days",
            )
        )
    return start, end


def parse_list(raw: str | None, pattern: str | None = None) -> list[str]:
    """A comma-separated list; with `pattern`, values that cannot match anything are left out."""
    parts = [part.strip() for part in (raw or "").split(",") if part.strip()]
    return [part for part in parts if pattern is None or re.fullmatch(pattern, part)]


def parse_int(name: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    value = int(raw) if re.fullmatch(r"\s*\d{1,9}\s*", raw) else None
    if value is None or not low <= value <= high:
        raise bad_request(
            Message(
                f"{name} phải là số nguyên từ {low} đến {high}",
                f"{name} must be a whole number from {low} to {high}",
            )
        )
    return value


def parse_statuses(raw: str | None) -> set[str]:
    statuses = {status.lower() for status in parse_list(raw)}
    if unknown := statuses - {"open", "closed"}:
        listed = ", ".join(sorted(unknown))
        raise bad_request(
            Message(
                f"status chỉ nhận open, closed (không nhận {listed})",
                f"status takes open, closed (not {listed})",
            )
        )
    return statuses


def parse_page(params: Mapping[str, str], *, default_size: int) -> tuple[int, int]:
    """page and page_size, with the page ending at most MAX_DEPTH rows into the list."""
    page_size = parse_int(
        "page_size", params.get("page_size"), default=default_size, low=1, high=MAX_PAGE_SIZE
    )
    page = parse_int("page", params.get("page"), default=1, low=1, high=MAX_DEPTH)
    if page * page_size > MAX_DEPTH:
        raise bad_request(
            Message(
                f"page × page_size không được vượt quá {MAX_DEPTH}: hãy thu hẹp khoảng thời gian",
                f"page × page_size may not exceed {MAX_DEPTH}: narrow the date window instead",
            )
        )
    return page, page_size


def request_query(params: dict[str, str], *, now: datetime) -> RequestQuery:
    page, page_size = parse_page(params, default_size=DEFAULT_PAGE_SIZE)
    ids = parse_list(params.get("service_request_id"), REPORT_CODE_PATTERN)
    if len(ids) > MAX_IDS:
        raise bad_request(Message(f"Tối đa {MAX_IDS} mã mỗi lần", f"At most {MAX_IDS} ids at a time"))
    if ids or params.get("service_request_id", "").strip(" ,"):
        return RequestQuery(True, ids, None, now, now, set(), page, page_size)
    start, end = date_window(
        params.get("start_date"),
        params.get("end_date"),
        now=now,
        default=REQUESTS_WINDOW,
        longest=REQUESTS_WINDOW,
    )
    service_codes = (
        parse_list(params.get("service_code"), CATEGORY_CODE_PATTERN)
        if params.get("service_code", "").strip(" ,")
        else None
    )
    return RequestQuery(
        False, ids, service_codes, start, end, parse_statuses(params.get("status")), page, page_size
    )


# Documents ----------------------------------------------------------------------------------------------


def media_url(base_url: str, media: MediaUrls, key: str | None) -> str | None:
    """An absolute photo URL: Open311 clients fetch it from elsewhere, so a path is not enough. Open311 shows
    public reports only, so their photos are signed for ever."""
    if key is None:
        return None
    url = photo_url(key, media, public=True)
    return url if "://" in url else base_url.rstrip("/") + "/" + url.lstrip("/")


# A fixed report's answer, for status_notes when no other note is set.
_FIXED = frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED})


def request_document(row: RequestRow, *, base_url: str, media: MediaUrls) -> Open311Request:
    report = row.report
    notes = report.status_notes or (report.resolution if report.status in _FIXED else None)
    return Open311Request(
        service_request_id=report.code,
        status=open311_status(report.status),
        status_notes=notes,
        service_name=row.service_name,
        service_code=report.category_code,
        description=report.description,
        agency_responsible=row.agency,
        requested_datetime=report.created_at,
        updated_datetime=report.updated_at,
        expected_datetime=report.resolve_due_at,
        address=report.address,
        lat=row.lat,
        long=row.lon,
        media_url=media_url(base_url, media, row.photo_key),
    )


def update_document(
    row: UpdateRow, *, base_url: str, media: MediaUrls, language: Language
) -> Open311RequestUpdate:
    entry = row.entry
    kind = TimelineKind(entry.kind)
    note = entry.note.strip() if entry.note and kind in PUBLIC_NOTE_KINDS else ""
    proof = media_url(base_url, media, row.proof_key) if kind is TimelineKind.RESOLVED else None
    return Open311RequestUpdate(
        update_id=str(entry.id),
        service_request_id=row.code,
        status=UPDATE_STATUSES[kind],
        updated_datetime=entry.at,
        description=note or UPDATE_DESCRIPTIONS[kind].in_(language),
        media_url=proof or "",
        external_status_code=str(entry.to_status or ""),
    )


def updates_document(
    rows: Sequence[UpdateRow], *, base_url: str, media: MediaUrls, language: Language
) -> Open311Updates:
    return Open311Updates(
        service_request_updates=[
            update_document(row, base_url=base_url, media=media, language=language) for row in rows
        ]
    )


def service_notice(report: Report, language: Language) -> str:
    due = report.resolve_due_at.astimezone(LOCAL_ZONE).strftime("%H:%M %d/%m/%Y")
    return Message(
        f"Phản ánh {report.code} đã được tiếp nhận; hạn xử lý trước {due}",
        f"Report {report.code} was received; it is due to be resolved by {due} (Vietnam time)",
    ).in_(language)
