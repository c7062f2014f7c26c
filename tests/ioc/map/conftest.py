"""What the map tests share: the demo province with its catalogue, callers of two wards, rows in two wards,
the tile that holds a point, and a decoder for the tiles the routes answer."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import mapbox_vector_tile
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from iot.registry.models import Device
from iot.telemetry.models import LatestState
from tests.support.people import Person, PersonFactory

WARD_A = "13666"  # Nam Định
WARD_B = "13684"  # Thiên Trường
# (lon, lat) inside each ward, and a second point of ward A a few hundred metres from the first.
IN_A = (106.1750, 20.4300)
IN_A_NEAR = (106.1760, 20.4310)
IN_B = (106.1620, 20.4480)
# A box holding both wards; one beyond the province; one larger than a province.
BOTH_WARDS = "106.14,20.41,106.20,20.49"
OUTSIDE_PROVINCE = "105.80,21.00,105.90,21.05"
TOO_LARGE = "105.0,20.0,107.0,21.0"

CATALOGUE: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding a point at zoom z (Web Mercator, y from the top)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def tile_path(layer: str, lon: float, lat: float, z: int) -> str:
    z, x, y = tile_of(lon, lat, z)
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def features(response: httpx.Response, layer: str) -> list[dict[str, Any]]:
    """The features of one layer of a tile answer (none for a 204)."""
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content)
    assert set(decoded) == {layer}
    return list(decoded[layer]["features"])


def properties(response: httpx.Response, layer: str) -> list[dict[str, Any]]:
    return [feature["properties"] for feature in features(response, layer)]


async def move_report(
    session: AsyncSession, report_id: Any, place: tuple[float, float], unit_code: str
) -> None:
    """Put a report at `place` (lon, lat) and in `unit_code`, as an officer's correction does."""
    await session.execute(
        text(
            "UPDATE feedback_reports SET location = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
            "unit_code = :unit WHERE id = :id"
        ),
        {"lon": place[0], "lat": place[1], "unit": unit_code, "id": report_id},
    )


@pytest.fixture
async def province(session: AsyncSession, units: AsyncSession) -> AsyncSession:
    """The demo province (37), its wards and the report catalogue."""
    await seed_catalogue(session, CATALOGUE)
    await session.flush()
    return session


@dataclass(frozen=True, slots=True)
class Callers:
    admin: Person
    officer_a: Person
    officer_b: Person
    province_officer: Person
    field_a: Person
    citizen: Person


@pytest.fixture
async def callers(province: AsyncSession, person: PersonFactory) -> Callers:
    return Callers(
        admin=await person(Role.ADMIN),
        officer_a=await person(Role.OFFICER, WARD_A),
        officer_b=await person(Role.OFFICER, WARD_B),
        province_officer=await person(Role.OFFICER, "37"),
        field_a=await person(Role.FIELD_STAFF, WARD_A),
        citizen=await person(),
    )


DeviceMaker = Callable[..., Awaitable[Device]]


@pytest.fixture
def device(session: AsyncSession) -> DeviceMaker:
    """`await device(IN_A, WARD_A, type_="water_level", metrics={"level_cm": 35}, online=True)`."""

    async def make(
        where: tuple[float, float],
        ward: str,
        *,
        type_: str = "water_level",
        metrics: dict[str, float] | None = None,
        online: bool = True,
    ) -> Device:
        row = Device(
            type=type_,
            name="Cảm biến thử",
            location=f"SRID=4326;POINT({where[0]} {where[1]})",
            ward_code=ward,
            province_code="37",
        )
        session.add(row)
        await session.flush()
        session.add(LatestState(device_id=row.id, metrics=metrics or {}, online=online))
        await session.flush()
        return row

    return make
