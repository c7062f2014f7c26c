"""Probing for private reports: every way to name a report answers a private one exactly as a missing one,
byte for byte but the reference sent, so that sequential codes cannot be used to count private reports or
to learn their ids."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.models import Report
from tests.feedback.support import OTHER_WARD, insert_report
from tests.support.people import PersonFactory

BASE = "/api/v1/feedback"
REQUEST_ID = "probe-0001"


def _missing_code(report: Report) -> str:
    """A code of the same length as the report's that names no report."""
    year = report.code.split("-")[1]
    return f"PA-{year}-{'9' * (len(report.code) - len('PA-2026-'))}"


def _masked(answer: httpx.Response, reference: str) -> tuple[int, str, str, str]:
    return (
        answer.status_code,
        answer.headers.get("content-type", ""),
        answer.headers.get("content-length", ""),
        answer.text.replace(reference, "<reference>"),
    )


Probe = Callable[[str, dict[str, str]], Awaitable[httpx.Response]]


async def _assert_same_answer(
    probe: Probe, private: str, missing: str, headers: dict[str, str], *, not_in: tuple[str, ...]
) -> None:
    for language in ("vi", "en"):
        sent = {**headers, "X-Request-ID": REQUEST_ID, "Accept-Language": language}
        of_private, of_missing = await probe(private, sent), await probe(missing, sent)
        assert of_private.status_code == 404, of_private.text
        assert _masked(of_private, private) == _masked(of_missing, missing)
        for secret in not_in:
            assert secret not in of_private.text


async def test_by_code_answers_a_private_report_as_a_missing_one(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person(), is_public=False)

    async def probe(code: str, headers: dict[str, str]) -> httpx.Response:
        return await client.get(f"{BASE}/by-code/{code}", headers=headers)

    for headers in ({}, (await person()).headers, (await person(Role.OFFICER, OTHER_WARD)).headers):
        await _assert_same_answer(
            probe, report.code, _missing_code(report), headers, not_in=(str(report.id),)
        )


async def test_by_id_answers_a_private_report_as_a_missing_one(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person(), is_public=False)

    async def probe(report_id: str, headers: dict[str, str]) -> httpx.Response:
        return await client.get(f"{BASE}/{report_id}", headers=headers)

    for headers in ({}, (await person()).headers, (await person(Role.OFFICER, OTHER_WARD)).headers):
        await _assert_same_answer(probe, str(report.id), str(uuid.uuid4()), headers, not_in=(report.code,))


async def test_support_and_follow_answer_a_private_report_as_a_missing_one(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person(), is_public=False)
    stranger = await person()
    for method, action in (
        ("POST", "support"),
        ("DELETE", "support"),
        ("POST", "follow"),
        ("DELETE", "follow"),
    ):

        async def probe(
            report_id: str, headers: dict[str, str], method: str = method, action: str = action
        ) -> httpx.Response:
            return await client.request(method, f"{BASE}/{report_id}/{action}", headers=headers)

        await _assert_same_answer(
            probe, str(report.id), str(uuid.uuid4()), stranger.headers, not_in=(report.code,)
        )


async def test_reporter_actions_answer_a_private_report_as_a_missing_one(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person(), is_public=False)
    stranger = await person()
    bodies = {"rate": {"rating": "satisfied"}, "reopen": {"reason": "Vẫn còn hỏng"}}
    for action, body in bodies.items():

        async def probe(
            report_id: str, headers: dict[str, str], action: str = action, body: dict[str, str] = body
        ) -> httpx.Response:
            return await client.post(f"{BASE}/{report_id}/{action}", headers=headers, json=body)

        await _assert_same_answer(
            probe, str(report.id), str(uuid.uuid4()), stranger.headers, not_in=(report.code,)
        )


async def test_open311_request_answers_a_private_report_as_a_missing_one(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person(), is_public=False)
    for extension in ("json", "xml"):

        async def probe(code: str, headers: dict[str, str], extension: str = extension) -> httpx.Response:
            return await client.get(f"/open311/v2/requests/{code}.{extension}", headers=headers)

        await _assert_same_answer(probe, report.code, _missing_code(report), {}, not_in=(str(report.id),))
