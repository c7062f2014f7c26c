"""GET /api/v1/calendar: the working calendar day by day, its cache headers, and each bad range."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.settings import Settings

CALENDAR = "/api/v1/calendar"
HOURS = [{"opens": "08:00", "closes": "12:00"}, {"opens": "13:30", "closes": "17:30"}]


async def days_of(client: httpx.AsyncClient, first: str, last: str) -> dict[str, dict[str, Any]]:
    response = await client.get(CALENDAR, params={"from": first, "to": last})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["zone"] == "Asia/Ho_Chi_Minh"
    return {day["date"]: day for day in body["days"]}


async def test_a_fortnight_of_2025_with_its_swap(client: httpx.AsyncClient) -> None:
    days = await days_of(client, "2025-04-24", "2025-05-05")

    assert list(days) == [f"2025-04-{d}" for d in range(24, 31)] + [f"2025-05-0{d}" for d in range(1, 6)]
    assert days["2025-04-24"] == {
        "date": "2025-04-24",
        "weekday": 4,
        "working": True,
        "reason": None,
        "name_vi": None,
        "name_en": None,
        "office_hours": HOURS,
    }
    assert days["2025-04-26"] == {
        "date": "2025-04-26",
        "weekday": 6,
        "working": True,
        "reason": "make_up_working_day",
        "name_vi": "Ngày làm việc bù",
        "name_en": "Make-up working day",
        "office_hours": HOURS,
    }
    assert days["2025-04-27"]["reason"] == "weekend"
    assert days["2025-04-27"]["office_hours"] == []
    assert days["2025-04-30"]["reason"] == "holiday"
    assert days["2025-04-30"]["name_vi"] == "Ngày Chiến thắng"
    assert days["2025-05-01"]["name_en"] == "International Labor Day"
    assert days["2025-05-02"]["working"] is False
    assert days["2025-05-02"]["reason"] == "swap_day_off"
    assert "26/04/2025" in days["2025-05-02"]["name_vi"]
    assert days["2025-05-05"]["working"] is True


@pytest.mark.parametrize(
    ("day", "working", "reason", "name_vi"),
    [
        ("2025-01-01", False, "holiday", "Tết Dương lịch"),
        ("2025-01-27", False, "day_in_lieu", "29 Tết"),
        ("2025-01-29", False, "holiday", "Tết Nguyên Đán"),
        ("2025-02-01", False, "holiday", "Mùng bốn Tết Nguyên Đán"),
        ("2025-04-07", False, "holiday", "Ngày Giỗ Tổ Hùng Vương"),
        ("2025-09-01", False, "holiday", "Quốc khánh"),
        ("2025-11-24", True, None, None),
        ("2026-02-16", False, "holiday", "Giao thừa Tết Nguyên Đán"),
        ("2026-02-20", False, "holiday", "Mùng bốn Tết Nguyên Đán"),
        ("2026-04-26", False, "holiday", "Ngày Giỗ Tổ Hùng Vương"),
        ("2026-04-27", False, "day_in_lieu", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        ("2026-08-22", True, "make_up_working_day", "Ngày làm việc bù"),
        ("2026-08-31", False, "swap_day_off", "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        ("2026-09-02", False, "holiday", "Quốc khánh"),
        ("2026-11-24", False, "holiday", "Ngày Văn hóa Việt Nam"),
    ],
)
async def test_holidays_of_2025_and_2026(
    client: httpx.AsyncClient, day: str, working: bool, reason: str | None, name_vi: str | None
) -> None:
    found = (await days_of(client, day, day))[day]

    assert (found["working"], found["reason"], found["name_vi"]) == (working, reason, name_vi)
    assert found["office_hours"] == (HOURS if working else [])


async def test_a_whole_year_and_the_setting_s_office_hours(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    days = await days_of(client, "2026-01-01", "2026-12-31")

    assert len(days) == 365
    worked = [day for day in days.values() if day["working"]]
    # 261 weekdays, 13 of them off (New Year, five of Tết, the day in lieu 27/4, 30/4, 1/5, the 31/8 swap,
    # 1-2/9, 24/11), and one make-up Saturday.
    assert len(worked) == 261 - 13 + 1
    expected = [{"opens": f"{o:%H:%M}", "closes": f"{c:%H:%M}"} for o, c in settings.office_hours]
    assert all(day["office_hours"] == expected for day in worked)


async def test_cache_headers_and_304(client: httpx.AsyncClient) -> None:
    params = {"from": "2026-04-20", "to": "2026-05-10"}
    first = await client.get(CALENDAR, params=params)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=86400"
    etag = first.headers["etag"]

    again = await client.get(CALENDAR, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get(CALENDAR, params=params, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304

    stale = await client.get(CALENDAR, params=params, headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200
    assert stale.json() == first.json()
    other_range = await client.get(CALENDAR, params={"from": "2026-04-20", "to": "2026-05-11"})
    assert other_range.headers["etag"] != etag


async def test_the_limits_of_the_range(client: httpx.AsyncClient) -> None:
    assert len(await days_of(client, "2025-01-01", "2026-01-01")) == 366
    assert len(await days_of(client, "2024-01-01", "2024-12-31")) == 366
    assert len(await days_of(client, "1995-01-01", "1995-01-01")) == 1
    assert len(await days_of(client, "2100-12-31", "2100-12-31")) == 1


@pytest.mark.parametrize(
    ("params", "code", "parameter"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "invalid_date", "from"),
        ({"from": "2026-04-01", "to": "tomorrow"}, "invalid_date", "to"),
        ({"from": "20260401", "to": "2026-04-02"}, "invalid_date", "from"),
        ({"from": "2026-W14-1", "to": "2026-04-02"}, "invalid_date", "from"),
        ({"from": "2026-04-01T00:00", "to": "2026-04-02"}, "invalid_date", "from"),
        ({"from": "", "to": "2026-04-02"}, "invalid_date", "from"),
        ({"from": "٢٠٢٦-04-01", "to": "2026-04-02"}, "invalid_date", "from"),
        ({"from": "2026-04-02", "to": "2026-04-01"}, "date_range_reversed", "to"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "date_range_too_long", "to"),
        ({"from": "1994-12-31", "to": "1995-01-02"}, "date_outside_calendar", "from"),
        ({"from": "2100-12-31", "to": "2101-01-01"}, "date_outside_calendar", "to"),
    ],
    ids=[
        "impossible date",
        "not a date",
        "basic format",
        "week date",
        "date and time",
        "empty",
        "non-ASCII digits",
        "reversed",
        "367 days",
        "before 1995",
        "after 2100",
    ],
)
async def test_bad_ranges(
    client: httpx.AsyncClient, params: dict[str, str], code: str, parameter: str
) -> None:
    response = await client.get(CALENDAR, params=params)

    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["errors"][0]["location"] == ["query", parameter]
    assert "etag" not in response.headers


@pytest.mark.parametrize("params", [{"from": "2026-04-01"}, {"to": "2026-04-01"}, {}])
async def test_both_dates_are_required(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get(CALENDAR, params=params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
