"""POST /api/v1/dossiers/sync/procedures: agencies upsert the catalogue by code, a result per item."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from tests.dossiers.catalogue.conftest import KeyFactory, procedure

URL = "/api/v1/dossiers/sync/procedures"
A = "1.003560.000.00.00.H40"
B = "2.000046.000.00.00.H40"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
async def key(api_key: KeyFactory) -> dict[str, str]:
    return await api_key(["dossiers:sync"])


async def sync(client: httpx.AsyncClient, key: dict[str, str], *items: Any) -> dict[str, Any]:
    response = await client.post(URL, json={"procedures": list(items)}, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def outcomes(body: dict[str, Any]) -> list[str]:
    return [item["result"] for item in body["items"]]


async def stored(session: AsyncSession, code: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            text(
                "SELECT name_vi, search_text, name_folded, updated_at FROM dossier_procedures WHERE code = :c"
            ),
            {"c": code},
        )
    ).first()
    return dict(row._mapping) if row is not None else None


async def test_created_then_unchanged_then_updated_with_updated_at_moving_only_on_a_change(
    client: httpx.AsyncClient, session: AsyncSession, key: dict[str, str]
) -> None:
    items = [procedure(A, "Đăng ký khai sinh"), procedure(B, "Đăng ký kết hôn")]

    first = await sync(client, key, *items)
    # The test runs in one transaction, where now() stands still: age the rows to see whether they move.
    await session.execute(text("UPDATE dossier_procedures SET updated_at = :t"), {"t": LONG_AGO})
    again = await sync(client, key, *items)
    unchanged_at = (await stored(session, A) or {})["updated_at"]
    changed = await sync(client, key, procedure(A, "Đăng ký khai sinh có yếu tố nước ngoài"), items[1])

    assert first["created"] == 2
    assert outcomes(first) == ["created", "created"]
    assert (again["unchanged"], again["created"], again["updated"]) == (2, 0, 0)
    assert unchanged_at == LONG_AGO
    assert outcomes(changed) == ["updated", "unchanged"]
    row_a, row_b = await stored(session, A), await stored(session, B)
    assert row_a is not None
    assert row_b is not None
    assert row_a["name_vi"] == "Đăng ký khai sinh có yếu tố nước ngoài"
    assert row_a["search_text"].startswith("1.003560.000.00.00.h40 dang ky khai sinh co yeu to nuoc ngoai")
    assert row_a["name_folded"] == "dang ky khai sinh co yeu to nuoc ngoai"
    assert row_a["updated_at"] != LONG_AGO
    assert row_b["updated_at"] == LONG_AGO


async def test_codes_are_matched_whatever_the_case_of_their_letters(
    client: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await sync(client, key, procedure(A, "Đăng ký khai sinh"))

    body = await sync(client, key, procedure(A.lower(), "Đăng ký khai sinh"))

    assert body["items"] == [
        {
            "index": 0,
            "code": A,
            "result": "unchanged",
            "reason": None,
            "message_vi": None,
            "message_en": None,
            "errors": [],
        }
    ]


async def test_composed_and_decomposed_vietnamese_are_the_same_name(
    client: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await sync(client, key, procedure(A, "Đăng ký khai sinh"))

    body = await sync(client, key, procedure(A, unicodedata.normalize("NFD", "Đăng ký khai sinh")))

    assert outcomes(body) == ["unchanged"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"code": "1.003560.000.00.00"}, "invalid_code"),
        ({"code": "BTP-NDI-277140"}, "invalid_code"),
        ({"code": 1003560}, "invalid_code"),
        ({"code": None}, "invalid_code"),
        ({"name_vi": "   "}, "missing_name"),
        ({"name_vi": None}, "missing_name"),
        ({"name_vi": "x" * 501}, "invalid_text"),
        ({"name_vi": "Khai\x00sinh"}, "invalid_text"),
        ({"name_en": "y" * 501}, "invalid_text"),
        ({"field_vi": ""}, "missing_field"),
        ({"level": "district"}, "invalid_level"),
        ({"online_level": "none"}, "invalid_online_level"),
        ({"deadline": {"kind": "weeks", "amount": 2}}, "invalid_deadline"),
        ({"deadline": {"kind": "same_day", "amount": 1}}, "invalid_deadline"),
        ({"deadline": {"kind": "working_days", "amount": 0}}, "invalid_deadline"),
        ({"deadline": {"kind": "working_days", "amount": 2.5}}, "invalid_deadline"),
        ({"deadline": {"kind": "working_days", "amount": 400}}, "invalid_deadline"),
        ({"deadline": {"kind": "calendar_days", "amount": -3}}, "invalid_deadline"),
        ({"deadline": {"kind": "working_hours", "amount": 0.33}}, "invalid_deadline"),
        ({"deadline": {"kind": "working_hours", "amount": "many"}}, "invalid_deadline"),
        ({"deadline": None}, "invalid_deadline"),
        ({"fee_vnd": -1}, "negative_fee"),
        ({"fee_vnd": 1.5}, "invalid_fee"),
        ({"fee_vnd": "free"}, "invalid_fee"),
        ({"documents": "a form"}, "invalid_documents"),
        ({"documents": [{"copies": 2}]}, "invalid_documents"),
        ({"documents": [{"name_vi": "Tờ khai", "copies": 0}]}, "invalid_documents"),
        ({"colour": "red"}, "malformed"),
        ({"active": "maybe"}, "malformed"),
    ],
)
async def test_a_bad_item_is_rejected_with_its_reason_and_the_others_are_kept(
    client: httpx.AsyncClient, session: AsyncSession, key: dict[str, str], change: dict[str, Any], reason: str
) -> None:
    # None stands for a member left out.
    bad = {**procedure(B, "Đăng ký kết hôn"), **change}
    bad = {name: value for name, value in bad.items() if not (name in change and value is None)}

    body = await sync(client, key, procedure(A, "Đăng ký khai sinh"), bad)

    assert outcomes(body) == ["created", "rejected"]
    rejected = body["items"][1]
    assert (rejected["index"], rejected["reason"]) == (1, reason)
    assert rejected["message_vi"]
    assert rejected["message_en"]
    assert rejected["errors"]
    assert all(error["pointer"].startswith("/") for error in rejected["errors"])
    assert (body["created"], body["rejected"]) == (1, 1)
    assert await stored(session, A) is not None
    assert (await session.execute(text("SELECT count(*) FROM dossier_procedures"))).scalar_one() == 1


async def test_a_missing_member_is_named_in_the_errors(
    client: httpx.AsyncClient, key: dict[str, str]
) -> None:
    item = procedure(B, "Đăng ký kết hôn")
    del item["deadline"]

    rejected = (await sync(client, key, item))["items"][0]

    assert rejected["reason"] == "invalid_deadline"
    assert rejected["errors"][0]["pointer"] == "/deadline"


async def test_the_second_item_with_a_code_is_rejected_and_the_first_applied(
    client: httpx.AsyncClient, session: AsyncSession, key: dict[str, str]
) -> None:
    body = await sync(client, key, procedure(A, "Đăng ký khai sinh"), procedure(A.lower(), "Tên khác"))

    assert outcomes(body) == ["created", "rejected"]
    assert body["items"][1]["reason"] == "duplicate_in_batch"
    assert (await stored(session, A) or {})["name_vi"] == "Đăng ký khai sinh"


async def test_five_hundred_procedures_in_one_call(
    client: httpx.AsyncClient, settings: Settings, key: dict[str, str]
) -> None:
    items = [procedure(f"1.{n:06d}.000.00.00.H40", f"Thủ tục số {n}") for n in range(500)]
    # Beyond the limit of ordinary JSON bodies: the batch route has its own.
    assert len(json.dumps({"procedures": items})) > settings.http_json_max_bytes

    body = await sync(client, key, *items)

    assert body["created"] == 500
    assert [item["index"] for item in body["items"]] == list(range(500))


@pytest.mark.parametrize(
    "body",
    [
        {"procedures": []},
        {"procedures": [procedure(f"1.{n:06d}.000.00.00.H40", "Thủ tục") for n in range(501)]},
        {"procedures": "all of them"},
        {"procedures": [1, 2]},
        {},
        [],
    ],
)
async def test_an_empty_or_oversized_batch_is_refused_whole(
    client: httpx.AsyncClient, session: AsyncSession, key: dict[str, str], body: Any
) -> None:
    response = await client.post(URL, json=body, headers=key)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert (await session.execute(text("SELECT count(*) FROM dossier_procedures"))).scalar_one() == 0


async def test_a_body_beyond_the_batch_limit_is_413(
    client: httpx.AsyncClient, settings: Settings, key: dict[str, str]
) -> None:
    body = b'{"procedures": ["' + b"x" * settings.http_batch_max_bytes + b'"]}'

    response = await client.post(URL, content=body, headers={**key, "content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_no_key_is_401_and_a_key_without_the_scope_403(
    client: httpx.AsyncClient, session: AsyncSession, api_key: KeyFactory
) -> None:
    other_scope = await api_key(["feedback:read"])
    body = {"procedures": [procedure(A, "Đăng ký khai sinh")]}

    missing = await client.post(URL, json=body)
    wrong = await client.post(URL, json=body, headers={"x-api-key": "sc_deadbeef_" + "x" * 43})
    unscoped = await client.post(URL, json=body, headers=other_scope)

    assert (missing.status_code, missing.json()["code"]) == (401, "api_key_invalid")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "api_key_invalid")
    assert (unscoped.status_code, unscoped.json()["code"]) == (403, "insufficient_scope")
    assert await stored(session, A) is None
