"""Time series over rows with known times: every bucket present, empty ones 0 or null, cut in local time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.identity.principal import Role
from tests.ioc.kpis.known import WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("known")


async def series(
    client: httpx.AsyncClient, person: PersonFactory, section: str, **params: str
) -> dict[str, list[Any]]:
    officer = await person(Role.OFFICER, WARD)
    response = await client.get(f"/api/v1/kpis/{section}/series", params=params, headers=officer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["interval"] == params.get("interval", "day")
    starts = {tuple(point["t"] for point in item["points"]) for item in body["series"]}
    assert len(starts) == 1, "every series has the same buckets"
    values = {item["key"]: [point["v"] for point in item["points"]] for item in body["series"]}
    values["t"] = list(starts.pop())
    return values


async def test_reports_per_day(client: httpx.AsyncClient, person: PersonFactory) -> None:
    values = await series(client, person, "reports", **{"from": "2026-06-01", "to": "2026-06-03"})
    assert values == {
        "t": ["2026-06-01T00:00:00+07:00", "2026-06-02T00:00:00+07:00", "2026-06-03T00:00:00+07:00"],
        "received": [3, 0, 0],
        # Resolved 25 h and 48 h after filing at 01:00 and 02:00.
        "resolved": [0, 1, 1],
    }


async def test_alarms_per_hour(client: httpx.AsyncClient, person: PersonFactory) -> None:
    values = await series(
        client,
        person,
        "alarms",
        interval="hour",
        **{"from": "2026-06-01T00:00:00+07:00", "to": "2026-06-01T06:00:00+07:00"},
    )
    assert values["t"] == [f"2026-06-01T{hour:02d}:00:00+07:00" for hour in range(6)]
    assert values["raised_critical"] == [0, 1, 0, 0, 0, 1]
    assert values["raised_warning"] == [0, 0, 1, 0, 0, 0]
    assert values["raised_major"] == [0] * 6
    assert values["median_acknowledge_seconds"] == [None, 600, None, None, None, 1800]


async def test_dossiers_dispatch_and_devices_per_day(
    client: httpx.AsyncClient, person: PersonFactory
) -> None:
    days = {"from": "2026-06-01", "to": "2026-06-02"}
    dossiers = await series(client, person, "dossiers", **days)
    assert (dossiers["received"], dossiers["on_time_rate"]) == ([5, 0], [0.5, None])
    dispatch = await series(client, person, "dispatch", **days)
    assert (dispatch["offers"], dispatch["accepted"], dispatch["median_accept_seconds"]) == (
        [4, 0],
        [2, 0],
        [120, None],
    )
    devices = await series(client, person, "devices", **days)
    assert devices["went_offline"] == [1, 0]


async def test_weeks_start_on_monday(client: httpx.AsyncClient, person: PersonFactory) -> None:
    # 1 June 2026 is a Monday; a period from Wednesday 3 June starts in that week's bucket.
    values = await series(
        client, person, "reports", interval="week", **{"from": "2026-06-03", "to": "2026-06-09"}
    )
    assert values["t"] == ["2026-06-01T00:00:00+07:00", "2026-06-08T00:00:00+07:00"]
    assert values["received"] == [0, 0]
    values = await series(
        client, person, "reports", interval="week", **{"from": "2026-06-01", "to": "2026-06-07"}
    )
    assert (values["received"], values["resolved"]) == ([3], [2])


async def test_the_default_period_is_the_last_30_days(
    client: httpx.AsyncClient, person: PersonFactory
) -> None:
    values = await series(client, person, "reports")
    assert len(values["t"]) in (30, 31)
