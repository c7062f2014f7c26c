"""/api/v1/calendar: the working calendar the deadlines use, day by day, for apps to show the same one.

Public and the same for everyone: it changes only when the adjustments table or the office hours do, so it
is cached for a day and carries an ETag (304 on If-None-Match).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from core.calendar import DayInfo, DayReason, WorkingCalendar, working_calendar
from core.errors import Message, invalid_parameter
from core.http.conditional import NOT_MODIFIED, conditional
from core.http.date_range import check_date_range
from core.http.deps import SettingsDep
from core.http.policies import PUBLIC
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.http.responses import PUBLIC_OPENAPI, problem, responses

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])

MAX_DAYS = 366
# The years the base calendar and the adjustments table are meant for; outside them a day would be shown as
# worked or not on no authority.
FIRST_YEAR, LAST_YEAR = 1995, 2100
CACHE_CONTROL = "public, max-age=86400"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

BAD_RANGE = problem(
    422,
    "A date that is not YYYY-MM-DD (code invalid_date), `to` before `from` (code date_range_reversed), more "
    f"than {MAX_DAYS} days (code date_range_too_long), a year outside {FIRST_YEAR}-{LAST_YEAR} (code "
    "date_outside_calendar), or a parameter missing (code validation_error)",
)
READ_LIMITED = problem(
    429, "Too many anonymous reads from this client (code rate_limited, header Retry-After)"
)


class OfficePeriodRead(BaseModel):
    opens: str = Field(description="Local time HH:MM.", examples=["08:00"])
    closes: str = Field(description="Local time HH:MM.", examples=["12:00"])


class CalendarDay(BaseModel):
    date: dt.date
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday ... 7 Sunday.")
    working: bool
    reason: DayReason | None = Field(
        description="Why the day is off, or why a weekend day is worked (make_up_working_day); null on an "
        "ordinary working day."
    )
    name_vi: str | None = Field(description="The holiday's name or the reason, in Vietnamese.")
    name_en: str | None = Field(description="The holiday's name or the reason, in English.")
    office_hours: list[OfficePeriodRead] = Field(description="Empty on a day off.")


class CalendarRead(BaseModel):
    zone: str = Field(description="The zone of the dates and office hours.", examples=["Asia/Ho_Chi_Minh"])
    days: list[CalendarDay]


def _parse_date(name: str, value: str) -> dt.date:
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise invalid_parameter(
            name,
            Message(f"{name} phải là một ngày dạng YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD"),
            code="invalid_date",
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise invalid_parameter(
            name,
            Message(
                f"Lịch làm việc chỉ có các năm {FIRST_YEAR}-{LAST_YEAR}",
                f"The working calendar covers the years {FIRST_YEAR}-{LAST_YEAR} only",
            ),
            code="date_outside_calendar",
        )
    return day


def _day(info: DayInfo) -> CalendarDay:
    return CalendarDay(
        date=info.day,
        weekday=info.day.isoweekday(),
        working=info.working,
        reason=info.reason,
        name_vi=info.name_vi,
        name_en=info.name_en,
        office_hours=[
            OfficePeriodRead(opens=f"{opens:%H:%M}", closes=f"{closes:%H:%M}")
            for opens, closes in info.office_hours
        ],
    )


def _days(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> list[CalendarDay]:
    return [_day(calendar.describe(first + dt.timedelta(days=n))) for n in range((last - first).days + 1)]


@router.get(
    "",
    response_model=CalendarRead,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    openapi_extra=PUBLIC_OPENAPI,
    summary="The working calendar, day by day: working or not, why, and the office hours",
    description=f"From `from` to `to`, both included, at most {MAX_DAYS} days. Days off are weekends, "
    "holidays, days in lieu of a holiday on a weekend and weekdays off in a swap; a weekend day worked in a "
    "swap is a make_up_working_day. The deadlines of dossiers are computed on this calendar. Cached for a "
    "day; send If-None-Match with the ETag to get 304 when nothing changed.",
    responses=responses(NOT_MODIFIED, BAD_RANGE, READ_LIMITED),
)
async def calendar_days(
    request: Request,
    settings: SettingsDep,
    first: Annotated[
        str, Query(alias="from", description="The first local date, YYYY-MM-DD.", examples=["2026-04-24"])
    ],
    last: Annotated[
        str,
        Query(alias="to", description="The last local date, YYYY-MM-DD (included).", examples=["2026-05-04"]),
    ],
) -> Response:
    start, end = _parse_date("from", first), _parse_date("to", last)
    check_date_range(start, end, max_days=MAX_DAYS)
    calendar = working_calendar(settings)
    body = CalendarRead(zone=calendar.zone.key, days=_days(calendar, start, end))
    return conditional(
        request,
        body.model_dump_json().encode("utf-8"),
        media_type="application/json",
        last_modified=None,
        cache_control=CACHE_CONTROL,
    )
