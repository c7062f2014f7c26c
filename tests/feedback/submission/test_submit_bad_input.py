"""Refused submissions: each answer is a clear problem, and nothing is written (rows counted before/after)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.feedback.submission.helpers import (
    SUBMIT,
    UPLOAD,
    assert_problem,
    body,
    counts,
    fresh_categories,
    jpeg_with_gps,
    multipart,
    png,
)
from tests.feedback.support import OUTSIDE
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]


async def _refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    headers: dict[str, str],
    status: int,
    code: str,
    **request: Any,
) -> dict[str, Any]:
    before = await counts(session)
    problem = assert_problem(await client.post(SUBMIT, headers=headers, **request), status, code)
    assert await counts(session) == before
    return problem


async def test_unknown_category(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "category_not_found",
        json=body(category_code="no_such_thing"),
    )


async def test_inactive_category(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await catalogue.execute(text("UPDATE feedback_categories SET active = false WHERE code = 'lighting'"))
    await catalogue.flush()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "category_not_found",
        json=body(category_code="lighting", answers={}),
    )


@pytest.mark.parametrize(
    ("category", "answers", "expected"),
    [
        ("road_damage", {"size": "medium", "colour": "red"}, [("colour", "unknown_question")]),
        ("road_damage", {}, [("size", "required")]),
        ("road_damage", {"size": None}, [("size", "required")]),
        ("road_damage", {"size": "huge"}, [("size", "unknown_option")]),
        ("road_damage", {"size": ["small"]}, [("size", "unknown_option")]),
        ("road_damage", {"size": "small", "lanes_blocked": "two"}, [("lanes_blocked", "not_a_number")]),
        ("road_damage", {"size": "small", "lanes_blocked": True}, [("lanes_blocked", "not_a_number")]),
        ("lighting", {"pole_number": 12}, [("pole_number", "not_text")]),
        ("lighting", {"pole_number": "x" * 501}, [("pole_number", "text_too_long")]),
        ("lighting", {"pole_number": "12\x00"}, [("pole_number", "invalid_character")]),
        ("waste", {"waste_type": "household"}, [("waste_type", "not_a_list")]),
        ("waste", {"waste_type": []}, [("waste_type", "empty_choice")]),
        ("waste", {"waste_type": ["household", "household"]}, [("waste_type", "duplicate_option")]),
        ("waste", {"waste_type": ["household", "plastic"]}, [("waste_type", "unknown_option")]),
        ("flooding", {}, [("water_depth_cm", "required")]),
        (
            "road_damage",
            {"size": "big", "lanes_blocked": "x", "extra": 1},
            [("extra", "unknown_question"), ("size", "unknown_option"), ("lanes_blocked", "not_a_number")],
        ),
    ],
)
async def test_invalid_answers_are_listed(
    client: httpx.AsyncClient,
    catalogue: AsyncSession,
    person: PersonFactory,
    category: str,
    answers: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    citizen = await person()
    problem = await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "invalid_answers",
        json=body(category_code=category, answers=answers),
    )
    assert [(error["question_code"], error["problem"]) for error in problem["errors"]] == expected
    assert all(error["message_en"] and error["message_vi"] for error in problem["errors"])


async def test_non_finite_number_is_not_json(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    raw = (
        '{"category_code": "flooding", "description": "Ngập", "location": {"lat": 20.43, "lon": 106.175},'
        ' "answers": {"water_depth_cm": NaN}}'
    )
    problem = await _refused(
        client,
        catalogue,
        {**citizen.headers, "content-type": "application/json"},
        422,
        "invalid_answers",
        content=raw,
    )
    assert [(error["question_code"], error["problem"]) for error in problem["errors"]] == [
        ("water_depth_cm", "not_a_number")
    ]


async def test_outside_the_province(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    lat, lon = OUTSIDE
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "outside_province",
        json=body(location={"lat": lat, "lon": lon}),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"description": ""},
        {"description": "   \n  "},
        {"description": "x" * 2001},
        {"description": "Ổ gà\x00"},
        {"address": "12\x00 Trần Hưng Đạo"},
        {"address": "x" * 501},
        {"location": {"lat": 91, "lon": 106.0}},
        {"location": {"lat": 20.4}},
        {"anonymous": "maybe"},
        {"photo_ids": ["not-a-uuid"]},
        {"unexpected": 1},
    ],
)
async def test_invalid_fields(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, changes: dict[str, Any]
) -> None:
    citizen = await person()
    problem = await _refused(
        client, catalogue, citizen.headers, 422, "validation_error", json=body(**changes)
    )
    assert problem["errors"]
    assert problem["errors"][0]["location"][0] == "body"


async def test_description_is_stripped_and_2000_characters_are_accepted(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    response = await client.post(
        SUBMIT, json=body(description=" " + "x" * 2000 + " "), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "x" * 2000


async def test_missing_fields_and_broken_json(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(client, catalogue, citizen.headers, 422, "validation_error", json={"description": "x"})
    await _refused(
        client,
        catalogue,
        {**citizen.headers, "content-type": "application/json"},
        422,
        "validation_error",
        content=b"{not json",
    )
    await _refused(
        client,
        catalogue,
        {**citizen.headers, "content-type": "application/json"},
        422,
        "validation_error",
        content=b"[1, 2]",
    )


async def test_unsupported_content_type(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        415,
        "unsupported_media_type",
        data={"category_code": "road_damage"},
    )
    await _refused(
        client,
        catalogue,
        {**citizen.headers, "content-type": "text/plain"},
        415,
        "unsupported_media_type",
        content=b"hello",
    )


async def test_too_many_photo_ids(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "too_many_photos",
        json=body(photo_ids=[str(uuid.uuid4()) for _ in range(6)]),
    )


async def test_too_many_multipart_photos(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "too_many_photos",
        **multipart(body(), [png((index, 0, 0)) for index in range(6)]),
    )


async def test_uploaded_plus_multipart_photos_beyond_five(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    uploaded = [
        (
            await client.post(
                UPLOAD, files={"file": ("a.png", png((index, 1, 1)), "image/png")}, headers=citizen.headers
            )
        ).json()["id"]
        for index in range(3)
    ]
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "too_many_photos",
        **multipart(body(photo_ids=uploaded), [png((0, 0, index)) for index in range(3)]),
    )


async def test_photo_ids_that_are_not_free(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    other = await person()
    theirs = (
        await client.post(UPLOAD, files={"file": ("a.png", png(), "image/png")}, headers=other.headers)
    ).json()["id"]
    mine = (
        await client.post(
            UPLOAD, files={"file": ("b.png", png((1, 1, 1)), "image/png")}, headers=citizen.headers
        )
    ).json()["id"]
    unknown = str(uuid.uuid4())
    problem = await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "photo_not_found",
        json=body(photo_ids=[mine, theirs, unknown]),
    )
    assert problem["photo_ids"] == [theirs, unknown]
    await _refused(
        client, catalogue, citizen.headers, 422, "photo_not_found", json=body(photo_ids=[mine, mine])
    )
    # Attached once, it cannot be attached again.
    attached = await client.post(SUBMIT, json=body(photo_ids=[mine]), headers=citizen.headers)
    assert attached.status_code == 201
    await _refused(client, catalogue, citizen.headers, 422, "photo_not_found", json=body(photo_ids=[mine]))


async def test_a_refused_multipart_report_stores_no_photo(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "invalid_answers",
        **multipart(body(answers={}), [jpeg_with_gps()]),
    )
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "not_an_image",
        **multipart(body(), [png(), b"GIF-but-not-really" * 10]),
    )


async def test_bad_multipart_parts(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    files = [("photos", ("a.png", png(), "image/png"))]
    await _refused(client, catalogue, citizen.headers, 422, "validation_error", files=files)
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "validation_error",
        files=[("report", ("r.json", b"{}", "application/json"))],
    )
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "validation_error",
        data={"report": '{"category_code": 1}'},
        files=files,
    )
    await _refused(
        client,
        catalogue,
        citizen.headers,
        422,
        "validation_error",
        files=[("report", ("r.json", b"{", "application/json"))],
    )
