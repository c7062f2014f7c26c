"""The lookup served as a lean route (ahead of FastAPI's router) answers exactly as its FastAPI route does:
the same status, headers and body for good and bad requests alike, with the same request id, access log
line and metrics label."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from api.app import create_app
from core.http import lean as lean_module
from core.http.resources import Resources
from core.settings import Settings
from dossiers.citizen import service
from tests.dossiers.citizen.conftest import Office

LOOKUP = "/api/v1/dossiers/lookup"
JSON = {"content-type": "application/json"}
SAME_ID = {"x-request-id": "lean-or-not"}
# Headers a response may differ in without meaning anything.
VOLATILE = {"date", "server"}


@asynccontextmanager
async def client_of(
    settings: Settings, resources: Resources, *, lean: bool
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings.model_copy(update={"api_lean_routes": lean})
    app: FastAPI = create_app(settings)
    app.state.resources = Resources(settings, resources.engine, resources.sessionmaker, resources.redis)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _oversized() -> AsyncIterator[bytes]:
    # Streamed (no Content-Length), so that the body is refused while it is read, not from its header.
    yield b'{"code": "'
    for _ in range(64):
        yield b"x" * 1024


def requests(code: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, httpx arguments) of every kind of request the lookup may get."""
    good = f'{{"code": "{code}", "factor": "5678"}}'.encode()
    return [
        ("found", {"content": good, "headers": JSON}),
        ("found, code in lower case", {"json": {"code": code.lower(), "factor": "5678"}}),
        (
            "found, charset and upper case type",
            {"content": good, "headers": {"content-type": "Application/JSON; charset=utf-8"}},
        ),
        ("found, a +json type", {"content": good, "headers": {"content-type": "application/vnd.api+json"}}),
        ("wrong factor", {"json": {"code": code, "factor": "0000"}}),
        ("in English", {"json": {"code": code, "factor": "0000"}, "headers": {"accept-language": "en"}}),
        ("malformed code", {"json": {"code": "not-a-code", "factor": "5678"}}),
        ("short factor", {"json": {"code": code, "factor": "567"}}),
        ("no factor", {"json": {"code": code}}),
        ("extra field", {"json": {"code": code, "factor": "5678", "phone": "+84912345678"}}),
        ("number for code", {"json": {"code": 5, "factor": "5678"}}),
        ("array", {"json": [code, "5678"]}),
        ("string", {"json": code}),
        ("null", {"content": b"null", "headers": JSON}),
        ("empty body", {"content": b"", "headers": JSON}),
        ("invalid JSON", {"content": b'{"code": ', "headers": JSON}),
        ("not UTF-8", {"content": b'{"code": "\xff\xfe"}', "headers": JSON}),
        ("text/plain", {"content": good, "headers": {"content-type": "text/plain"}}),
        ("no content type", {"content": good, "headers": {"content-type": ""}}),
        ("a type without subtype", {"content": good, "headers": {"content-type": "json"}}),
        ("form", {"data": {"code": code, "factor": "5678"}}),
        ("announced too large", {"content": b"x" * 70_000, "headers": JSON}),
        ("streamed too large", {"content": _oversized(), "headers": JSON}),
    ]


def _comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE}
    return response.status_code, headers, response.content


async def test_every_kind_of_request_gets_the_same_answer_from_both_paths(
    settings: Settings, resources: Resources, redis: Redis, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")
    async with (
        client_of(settings, resources, lean=True) as lean,
        client_of(settings, resources, lean=False) as routed,
    ):
        for name, arguments in requests(dossier.code):
            answers = []
            for client in (lean, routed):
                await redis.flushdb()  # a wrong factor counts a failure: each path starts from none
                headers = {**SAME_ID, **arguments.get("headers", {})}
                content = arguments.get("content")
                if not isinstance(content, (bytes, type(None))):
                    content = _oversized()  # a generator is read once: a fresh one for each path
                call = {**arguments, "headers": headers} | (
                    {"content": content} if "content" in arguments else {}
                )
                answers.append(_comparable(await client.post(LOOKUP, **call)))
            assert answers[0] == answers[1], name
    statuses = {
        name: status for (name, _), (status, _, _) in zip(requests(dossier.code), answers, strict=False)
    }
    assert statuses  # the loop ran


async def test_the_answers_cover_success_and_every_refusal(
    settings: Settings, resources: Resources, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")
    async with client_of(settings, resources, lean=True) as lean:
        statuses = {}
        for name, arguments in requests(dossier.code):
            statuses[name] = (await lean.post(LOOKUP, **arguments)).status_code
    assert statuses["found"] == statuses["found, a +json type"] == 200
    assert statuses["wrong factor"] == 404
    assert statuses["not UTF-8"] == 400
    assert statuses["announced too large"] == statuses["streamed too large"] == 413
    assert {
        statuses[name] for name in ("malformed code", "empty body", "invalid JSON", "text/plain", "form")
    } == {422}


async def test_a_spent_budget_answers_429_on_both_paths(
    settings: Settings, resources: Resources, redis: Redis, office: Office
) -> None:
    strict = settings.model_copy(update={"dossier_lookup_failures_per_code_per_day": 1})
    dossier = await office.dossier(applicant_phone="+84912345678")
    answers = []
    for lean in (True, False):
        await redis.flushdb()
        async with client_of(strict, resources, lean=lean) as client:
            await client.post(LOOKUP, json={"code": dossier.code, "factor": "0000"}, headers=SAME_ID)
            refused = await client.post(
                LOOKUP, json={"code": dossier.code, "factor": "5678"}, headers=SAME_ID
            )
        assert refused.status_code == 429, refused.text
        answers.append(_comparable(refused))
    assert answers[0] == answers[1]
    assert answers[0][1]["retry-after"]


async def test_only_the_lean_path_reads_the_body_itself(
    settings: Settings, resources: Resources, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")
    reads: list[object] = []
    original = lean_module.read_body

    async def counted(request: Any, model: Any) -> Any:
        reads.append(model)
        return await original(request, model)

    monkeypatch.setattr("dossiers.citizen.routes.read_body", counted)
    body = {"code": dossier.code, "factor": "5678"}
    for lean, expected in ((True, 1), (False, 0)):
        reads.clear()
        async with client_of(settings, resources, lean=lean) as client:
            assert (await client.post(LOOKUP, json=body)).status_code == 200
        assert len(reads) == expected


async def test_other_methods_and_paths_go_to_the_router(settings: Settings, resources: Resources) -> None:
    # GET matches the staff's /dossiers/{code}, PUT nothing, and the trailing slash is redirected.
    async with (
        client_of(settings, resources, lean=True) as lean,
        client_of(settings, resources, lean=False) as routed,
    ):
        for method, path, status in (("GET", LOOKUP, 401), ("PUT", LOOKUP, 405), ("POST", f"{LOOKUP}/", 307)):
            answers = [
                _comparable(await client.request(method, path, json={}, headers=SAME_ID))
                for client in (lean, routed)
            ]
            assert answers[0] == answers[1], (method, path)
            assert answers[0][0] == status, (method, path)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured(name: str, level: int) -> Iterator[list[logging.LogRecord]]:
    """The records of logger `name` at `level` and above. Attached once the app has configured logging (which
    replaces the handlers it finds), so pytest's caplog would not see them."""
    logger = logging.getLogger(name)
    records = _Records()
    previous = logger.level
    logger.addHandler(records)
    logger.setLevel(level)
    try:
        yield records.records
    finally:
        logger.removeHandler(records)
        logger.setLevel(previous)


async def test_the_lean_route_is_logged_and_counted_under_its_template(
    settings: Settings, resources: Resources, office: Office
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")
    body = {"code": dossier.code, "factor": "5678"}
    async with client_of(settings, resources, lean=True) as lean:
        with captured("smartcity.access", logging.INFO) as records:
            response = await lean.post(LOOKUP, json=body, headers=SAME_ID)
        metrics = (await lean.get("/metrics")).text
    assert response.headers["x-request-id"] == "lean-or-not"
    [record] = records
    assert record.getMessage() == f"POST {LOOKUP} 200"
    assert record.__dict__["route"] == LOOKUP
    assert f'route="{LOOKUP}",status="200"' in metrics


async def test_an_unexpected_error_is_a_logged_500_problem(
    settings: Settings, resources: Resources, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the view cannot be built")

    monkeypatch.setattr(service, "lookup", broken)
    body = {"code": dossier.code, "factor": "5678"}
    async with client_of(settings, resources, lean=True) as lean:
        with captured("smartcity.errors", logging.ERROR) as records:
            response = await lean.post(LOOKUP, json=body, headers=SAME_ID)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"] == "lean-or-not"
    assert response.headers["x-request-id"] == "lean-or-not"
    [record] = records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
