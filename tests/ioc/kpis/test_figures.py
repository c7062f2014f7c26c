"""Each section's figures over rows with known times: counts, rates and medians, exactly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.identity.principal import Role
from tests.ioc.kpis.known import OTHER_WARD, PROVINCE, WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("known")

KPIS = "/api/v1/kpis"
JUNE = {"from": "2026-06-01", "to": "2026-06-07"}


async def figures(
    client: httpx.AsyncClient, person: PersonFactory, section: str, unit: str = WARD, **params: str
) -> dict[str, Any]:
    officer = await person(Role.OFFICER, unit)
    response = await client.get(f"{KPIS}/{section}", params={**JUNE, **params}, headers=officer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_reports(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "reports")
    assert body["section"] == "reports"
    assert body["unit_code"] is None
    assert body["from"] == "2026-06-01T00:00:00+07:00"
    assert body["to"] == "2026-06-08T00:00:00+07:00"
    assert {key: body[key] for key in ("total", "open", "overdue_open")} == {
        "total": 3,
        "open": 1,
        "overdue_open": 1,
    }
    assert body["by_status"] == {
        "submitted": 1,
        "accepted": 0,
        "rejected": 0,
        "assigned": 0,
        "in_progress": 0,
        "resolved": 1,
        "closed": 1,
    }
    assert body["by_category"] == {"lighting": 1, "road_damage": 2}
    assert (body["acknowledged_on_time"], body["acknowledged_late"], body["acknowledge_on_time_rate"]) == (
        1,
        1,
        0.5,
    )
    assert (body["resolved_on_time"], body["resolved_late"], body["resolve_on_time_rate"]) == (1, 1, 0.5)
    # Medians of 1 h and 10 h, and of 25 h and 48 h.
    assert body["median_acknowledge_seconds"] == 19_800
    assert body["median_resolve_seconds"] == 131_400
    assert body["ratings"] == {"very_satisfied": 0, "satisfied": 1, "not_satisfied": 1}
    assert body["satisfaction_rate"] == 0.5


async def test_alarms(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "alarms")
    assert {key: body[key] for key in ("raised", "acknowledged", "cleared", "open_now")} == {
        "raised": 3,
        "acknowledged": 2,
        "cleared": 1,
        "open_now": 3,
    }
    # Medians of 10 and 30 minutes; one alarm cleared after an hour.
    assert body["median_acknowledge_seconds"] == 1200
    assert body["median_clear_seconds"] == 3600
    assert list(body["by_severity"]) == ["critical", "major", "minor", "warning", "indeterminate"]
    assert body["by_severity"]["critical"] == {
        "raised": 2,
        "acknowledged": 2,
        "cleared": 1,
        "median_acknowledge_seconds": 1200,
        "median_clear_seconds": 3600,
        "open_now": 1,
    }
    assert body["by_severity"]["minor"] == {
        "raised": 0,
        "acknowledged": 0,
        "cleared": 0,
        "median_acknowledge_seconds": None,
        "median_clear_seconds": None,
        "open_now": 1,
    }
    assert body["by_severity"]["warning"]["raised"] == 1
    assert body["by_severity"]["warning"]["median_acknowledge_seconds"] is None
    assert body["by_severity"]["major"]["raised"] == 0


async def test_dispatch(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "dispatch")
    assert {
        key: value for key, value in body.items() if key not in ("section", "unit_code", "from", "to")
    } == {
        "offers": 4,
        "accepted": 2,
        "declined": 1,
        "expired": 1,
        "withdrawn": 0,
        "unanswered": 0,
        "acceptance_rate": 0.6667,
        # Accepted after 90 s and after 150 s.
        "median_accept_seconds": 120,
    }


async def test_devices(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "devices")
    assert (body["total"], body["online"], body["offline"], body["went_offline"]) == (4, 1, 3, 1)
    assert body["by_type"]["water_level"] == {"online": 1, "offline": 1, "went_offline": 1}
    assert body["by_type"]["air_quality"] == {"online": 0, "offline": 1, "went_offline": 0}
    assert body["by_type"]["noise"] == {"online": 0, "offline": 1, "went_offline": 0}
    assert body["by_type"]["camera_traffic"] == {"online": 0, "offline": 0, "went_offline": 0}


async def test_dossiers_match_the_dossier_figures(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "dossiers")
    expected = {
        "received": 5,
        "withdrawn": 1,
        "handled": 4,
        "finished_early": 1,
        "finished_on_time": 1,
        "finished_late": 1,
        "open_within_deadline": 0,
        "open_overdue": 1,
        "on_time_rate": 0.5,
    }
    assert {key: body[key] for key in expected} == expected
    officer = await person(Role.OFFICER, WARD)
    theirs = await client.get(
        "/api/v1/dossiers/figures", params={**JUNE, "unit_code": WARD}, headers=officer.headers
    )
    assert theirs.status_code == 200, theirs.text
    totals = theirs.json()["totals"]
    assert {key: body[key] for key in totals} == totals


async def test_a_province_covers_its_wards(client: httpx.AsyncClient, person: PersonFactory) -> None:
    reports = await figures(client, person, "reports", unit=PROVINCE)
    assert reports["total"] == 4
    alarms = await figures(client, person, "alarms", unit=PROVINCE)
    assert (alarms["raised"], alarms["open_now"], alarms["by_severity"]["major"]["raised"]) == (4, 4, 1)
    dispatch = await figures(client, person, "dispatch", unit=PROVINCE)
    assert (dispatch["offers"], dispatch["unanswered"]) == (5, 1)
    devices = await figures(client, person, "devices", unit=PROVINCE)
    assert (devices["total"], devices["online"]) == (5, 2)
    ward_only = await figures(client, person, "reports", unit=PROVINCE, unit_code=WARD)
    assert (ward_only["unit_code"], ward_only["total"]) == (WARD, 3)
    other = await figures(client, person, "alarms", unit=PROVINCE, unit_code=OTHER_WARD)
    assert (other["raised"], other["by_severity"]["major"]["raised"]) == (1, 1)


async def test_field_staff_and_admins(client: httpx.AsyncClient, person: PersonFactory) -> None:
    worker = await person(Role.FIELD_STAFF, OTHER_WARD)
    response = await client.get(f"{KPIS}/reports", params=JUNE, headers=worker.headers)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1
    admin = await person(Role.ADMIN)
    response = await client.get(f"{KPIS}/reports", params=JUNE, headers=admin.headers)
    assert response.json()["total"] == 4
    response = await client.get(f"{KPIS}/reports", params={**JUNE, "unit_code": WARD}, headers=admin.headers)
    assert response.json()["total"] == 3


async def test_a_period_with_nothing(client: httpx.AsyncClient, person: PersonFactory) -> None:
    body = await figures(client, person, "alarms", **{"from": "2026-05-01", "to": "2026-05-02"})
    assert (body["raised"], body["median_acknowledge_seconds"], body["open_now"]) == (0, None, 3)
    reports = await figures(client, person, "reports", **{"from": "2026-05-01", "to": "2026-05-02"})
    assert (reports["total"], reports["resolve_on_time_rate"], reports["median_resolve_seconds"]) == (
        0,
        None,
        None,
    )


async def test_datetimes_bound_the_period(client: httpx.AsyncClient, person: PersonFactory) -> None:
    # 01:30 to 02:30 local: only the report filed at 02:00; a datetime without offset is local time.
    body = await figures(
        client, person, "reports", **{"from": "2026-06-01T01:30:00+07:00", "to": "2026-06-01T02:30:00"}
    )
    assert body["total"] == 1
    assert body["to"] == "2026-06-01T02:30:00+07:00"
