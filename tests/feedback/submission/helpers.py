"""Helpers for the submission, photo, duplicate and "me too" tests: request bodies, photos with GPS metadata,
and row counts that prove a refused request changed nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.catalogue.cache import forget_categories
from tests.feedback.support import IN_WARD

GPS_IFD = 0x8825
COUNTED_TABLES = (
    "feedback_reports",
    "feedback_photos",
    "feedback_timeline",
    "feedback_idempotency_keys",
    "event_outbox",
    "feedback_supports",
    "feedback_followers",
)
SUBMIT = "/api/v1/feedback"
UPLOAD = "/api/v1/feedback/photos"


@pytest.fixture(autouse=True)
def fresh_categories() -> Iterator[None]:
    """Each test seeds its own catalogue inside its transaction: the process cache must not outlive it."""
    forget_categories()
    yield
    forget_categories()


def body(**changes: Any) -> dict[str, Any]:
    """A valid road damage report in ward 13666, with `changes` applied."""
    lat, lon = IN_WARD
    document: dict[str, Any] = {
        "category_code": "road_damage",
        "description": "Ổ gà lớn trước số 12 Trần Hưng Đạo",
        "location": {"lat": lat, "lon": lon},
        "address": "12 Trần Hưng Đạo",
        "answers": {"size": "medium"},
    }
    document.update(changes)
    return document


def multipart(document: dict[str, Any], photos: list[bytes]) -> dict[str, Any]:
    """httpx arguments for a multipart submission: the report part and the photos in order."""
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("report", ("report.json", json.dumps(document).encode(), "application/json"))
    ]
    files.extend(("photos", (f"photo{index}.jpg", data, "image/jpeg")) for index, data in enumerate(photos))
    return {"files": files}


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[GPS_IFD] = {1: "N", 2: (20.0, 25.0, 12.5), 3: "E", 4: (106.0, 10.0, 3.0)}
    return exif


def jpeg_with_gps(colour: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG carrying camera and GPS EXIF, as a phone would send it."""
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=gps_exif(), quality=90)
    data = out.getvalue()
    with Image.open(BytesIO(data)) as check:
        assert check.getexif().get_ifd(GPS_IFD)
    return data


def png(colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def has_exif(data: bytes) -> bool:
    with Image.open(BytesIO(data)) as image:
        exif = image.getexif()
        return len(exif) > 0 or bool(exif.get_ifd(GPS_IFD)) or "exif" in image.info


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table touched by submissions, to show that a refused request changed nothing."""
    found: dict[str, int] = {}
    for table in COUNTED_TABLES:
        found[table] = int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
    return found


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    return problem
