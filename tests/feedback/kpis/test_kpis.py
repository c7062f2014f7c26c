"""Report KPIs over known data, within the caller's units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.kpis.service import compute_kpis
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle.helpers import BASE, problem
from tests.feedback.support import EXTREME_MOMENTS, IN_OTHER_WARD, OTHER_WARD, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")

KPIS = f"{BASE}/kpis"
NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def known(catalogue: AsyncSession, person: PersonFactory) -> None:
    session = catalogue
    reporter = await person()
    created = NOW - 10 * DAY
    # Submitted and past its acknowledge deadline: open and overdue.
    await insert_report(
        session,
        reporter=reporter,
        created_at=created,
        acknowledge_due_at=NOW - DAY,
        resolve_due_at=NOW + 5 * DAY,
    )
    # In progress, in time.
    await insert_report(
        session,
        reporter=reporter,
        category_code="lighting",
        status=ReportStatus.IN_PROGRESS,
        created_at=created,
        acknowledge_due_at=created + DAY,
        acknowledged_at=created,
        resolve_due_at=NOW + DAY,
    )
    # Resolved in time, rated: closed.
    await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.CLOSED,
        created_at=created,
        acknowledge_due_at=created + DAY,
        acknowledged_at=created + DAY / 2,
        resolve_due_at=created + 5 * DAY,
        resolved_at=created + 4 * DAY,
        closed_at=NOW,
        close_reason="rated",
        rating="satisfied",
    )
    # Acknowledged and resolved late; filed long ago.
    await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.RESOLVED,
        created_at=NOW - 40 * DAY,
        acknowledge_due_at=NOW - 39 * DAY,
        acknowledged_at=NOW - 38 * DAY,
        resolve_due_at=NOW - 30 * DAY,
        resolved_at=NOW - 20 * DAY,
    )
    # Another ward's report: only the province sees it.
    await insert_report(
        session,
        reporter=reporter,
        lat_lon=IN_OTHER_WARD,
        ward_code=OTHER_WARD,
        unit_code=OTHER_WARD,
        status=ReportStatus.REJECTED,
        created_at=created,
        acknowledge_due_at=created + DAY,
        acknowledged_at=created,
        rating=None,
    )


WARD_FIGURES = {
    "total": 4,
    "open": 2,
    "overdue_open": 1,
    "resolved_on_time": 1,
    "resolved_late": 1,
    "acknowledged_on_time": 2,
    "acknowledged_late": 1,
    "by_status": {"closed": 1, "in_progress": 1, "resolved": 1, "submitted": 1},
    "by_category": {"lighting": 1, "road_damage": 3},
    "ratings": {"satisfied": 1},
    "on_time_rate": 0.5,
}


@pytest.mark.usefixtures("known")
async def test_ward_figures(session: AsyncSession, person: PersonFactory) -> None:
    officer = await person(Role.FIELD_STAFF, WARD)
    figures = await compute_kpis(session, officer.principal, now=datetime.now(UTC))
    assert figures.model_dump() == WARD_FIGURES


@pytest.mark.usefixtures("known")
async def test_ward_kpis_over_http(client: httpx.AsyncClient, person: PersonFactory) -> None:
    officer = await person(Role.FIELD_STAFF, WARD)
    response = await client.get(KPIS, headers=officer.headers)
    assert response.status_code == 200, response.text
    assert response.json() == WARD_FIGURES


@pytest.mark.usefixtures("known")
async def test_province_figures_and_filters(session: AsyncSession, person: PersonFactory) -> None:
    province = (await person(Role.OFFICER, "37")).principal
    now = datetime.now(UTC)
    everything = await compute_kpis(session, province, now=now)
    assert everything.total == 5
    assert everything.by_status["rejected"] == 1
    other = await compute_kpis(session, province, now=now, unit_code=OTHER_WARD)
    assert (other.total, other.open, other.on_time_rate) == (1, 0, None)
    # A province's code covers its wards.
    assert (await compute_kpis(session, province, now=now, unit_code="37")).total == 5
    lighting = await compute_kpis(session, province, now=now, category_code="lighting")
    assert lighting.by_category == {"lighting": 1}
    recent = await compute_kpis(session, province, now=now, date_from=NOW - 15 * DAY, date_to=NOW)
    assert recent.total == 4
    assert recent.resolved_late == 0


@pytest.mark.usefixtures("known")
async def test_province_kpis_and_filters_over_http(client: httpx.AsyncClient, person: PersonFactory) -> None:
    province = await person(Role.OFFICER, "37")
    everything = (await client.get(KPIS, headers=province.headers)).json()
    assert everything["total"] == 5
    assert everything["by_status"]["rejected"] == 1

    other = (await client.get(KPIS, params={"unit_code": OTHER_WARD}, headers=province.headers)).json()
    assert (other["total"], other["open"], other["on_time_rate"]) == (1, 0, None)

    lighting = (await client.get(KPIS, params={"category_code": "lighting"}, headers=province.headers)).json()
    assert lighting["by_category"] == {"lighting": 1}

    window = {"from": (NOW - 15 * DAY).isoformat(), "to": NOW.isoformat()}
    recent = (await client.get(KPIS, params=window, headers=province.headers)).json()
    assert recent["total"] == 4
    assert recent["resolved_late"] == 0


@pytest.mark.usefixtures("known")
async def test_kpis_refusals(client: httpx.AsyncClient, person: PersonFactory) -> None:
    ward_officer = await person(Role.OFFICER, WARD)
    problem(
        await client.get(KPIS, params={"unit_code": OTHER_WARD}, headers=ward_officer.headers),
        403,
        "outside_unit",
    )
    problem(
        await client.get(KPIS, params={"unit_code": "x"}, headers=ward_officer.headers),
        422,
        "validation_error",
    )
    problem(
        await client.get(KPIS, params={"from": "2030-01-01T00:00:00"}, headers=ward_officer.headers),
        422,
        "validation_error",
    )
    problem(await client.get(KPIS, headers=(await person()).headers), 403, "forbidden")
    assert (await client.get(KPIS)).status_code == 401


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("kpis", ("from", "to")),
    ],
)
async def test_extreme_moments_in_kpi_filters_are_validation_errors(
    client: httpx.AsyncClient, person: PersonFactory, moment: str, path: str, names: tuple[str, str]
) -> None:
    officer = await person(Role.OFFICER, WARD)
    for name in names:
        problem(
            await client.get(f"{BASE}/{path}", params={name: moment}, headers=officer.headers),
            422,
            "validation_error",
        )
    fine = await client.get(
        f"{BASE}/{path}", params={names[0]: "2026-01-01T00:00:00+07:00"}, headers=officer.headers
    )
    assert fine.status_code == 200, fine.text
