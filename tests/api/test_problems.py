"""Every error is an RFC 9457 problem in the caller's language, and the OpenAPI document says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel

from api.app import create_app
from api.openapi import Problem, ValidationProblem
from core.errors import PROBLEM_CONTENT_TYPE, TITLES, Message, ProblemError
from core.settings import Settings

SECRET = "database password is hunter2"


class Report(BaseModel):
    description: str
    tags: dict[str, int] = {}


def probe_app(settings: Settings) -> FastAPI:
    """The real application plus throwaway routes that exercise each kind of error."""
    app = create_app(settings)

    @app.post("/probe/{item}")
    async def probe(item: int, report: Report, page: int = Query(1, ge=1)) -> dict[str, int]:
        return {"item": item, "page": page}

    @app.get("/probe-refused")
    async def refused() -> None:
        raise ProblemError(422, "validation_error", Message("Không được", "Not this"))

    @app.post("/probe-refused")
    async def refused_body() -> None:
        raise ProblemError(422, "validation_error", Message("Không được", "Not this"))

    @app.get("/probe-boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get(
        "/probe-declared",
        responses={404: {"description": "Nothing here (code not_found)"}, 409: {"model": Problem}},
    )
    async def declared() -> None:
        return None

    return app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return probe_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Starlette re-raises an unhandled error after sending the 500; the client must see the response instead.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"/problems/{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    # The documented schema describes what is really sent.
    (ValidationProblem if status == 422 else Problem).model_validate(body)
    return body


async def test_validation_errors_are_problems_listing_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/probe/abc?page=0", json={"tags": {"ok": 1}})
    body = assert_problem(response, 422, "validation_error")
    assert body["instance"] == "/probe/abc"
    assert body["title"] == TITLES["validation_error"].vi
    errors = {tuple(error["location"]): error for error in body["errors"]}
    assert set(errors) == {("path", "item"), ("query", "page"), ("body", "description")}
    assert errors[("path", "item")]["pointer"] == "/item"
    assert errors[("query", "page")]["type"] == "greater_than_equal"
    assert errors[("body", "description")]["type"] == "missing"
    assert all(error["message"] for error in body["errors"])


async def test_validation_pointer_escapes_keys(client: httpx.AsyncClient) -> None:
    response = await client.post("/probe/1", json={"description": "x", "tags": {"a/b~c": "not a number"}})
    body = assert_problem(response, 422, "validation_error")
    assert [error["pointer"] for error in body["errors"]] == ["/tags/a~1b~0c"]
    assert body["errors"][0]["location"] == ["body", "tags", "a/b~c"]


async def test_malformed_json_points_at_the_whole_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/probe/1", content=b'{"description": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [
        {"location": ["body"], "pointer": "", "type": "json_invalid", "message": "JSON decode error"}
    ]


async def test_a_raised_422_lists_the_request_part_it_is_about(client: httpx.AsyncClient) -> None:
    # A 422 the code raises about the request as a whole still has the documented `errors` member.
    for method, part in (("GET", "query"), ("POST", "body")):
        response = await client.request(method, "/probe-refused", headers={"Accept-Language": "en"})
        assert response.status_code == 422
        problem = ValidationProblem.model_validate(response.json())
        assert [item.model_dump() for item in problem.errors] == [
            {"location": [part], "pointer": "", "type": "validation_error", "message": "Not this"}
        ]


async def test_unknown_path_is_a_not_found_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no/such/path"), 404, "not_found")
    assert body["instance"] == "/no/such/path"


async def test_wrong_method_is_a_problem_that_keeps_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "vi"),
        ("vi", "vi"),
        ("en", "en"),
        ("en-US", "en"),
        ("fr-FR", "vi"),
        ("vi;q=0.4, en;q=0.8", "en"),
        ("en;q=0.2, vi", "vi"),
        ("en;q=0, vi;q=0.1", "vi"),
        ("fr, en;q=0.5", "en"),
    ],
)
async def test_accept_language_picks_the_message_language(
    client: httpx.AsyncClient, accept_language: str | None, language: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language is not None else {}
    body = assert_problem(await client.get("/nowhere", headers=headers), 404, "not_found")
    expected = TITLES["not_found"].vi if language == "vi" else TITLES["not_found"].en
    assert body["title"] == expected


async def test_validation_detail_follows_the_language(client: httpx.AsyncClient) -> None:
    english = (await client.post("/probe/1", json={}, headers={"accept-language": "en"})).json()
    vietnamese = (await client.post("/probe/1", json={})).json()
    assert english["title"] == TITLES["validation_error"].en
    assert vietnamese["title"] == TITLES["validation_error"].vi
    assert english["detail"] == "Some fields are not valid, see the errors list"
    assert vietnamese["detail"] == "Một số trường không hợp lệ, xem danh sách errors"


async def test_unhandled_error_is_an_internal_problem_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/probe-boom", headers={"x-request-id": "phone-7.retry-2"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "phone-7.retry-2"
    assert body["title"] == TITLES["internal_error"].vi
    for leak in (SECRET, "Traceback", "RuntimeError", "probe_app"):
        assert leak not in response.text


# The document -----------------------------------------------------------------------------------------------


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def schema_ref(response: dict[str, Any]) -> str:
    ref: str = response["content"][PROBLEM_CONTENT_TYPE]["schema"]["$ref"]
    return ref


def test_every_operation_documents_its_problems(app: FastAPI) -> None:
    document = app.openapi()
    assert {"Problem", "ValidationProblem", "ValidationErrorItem"} <= set(document["components"]["schemas"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]
    for label, operation in operations(document):
        responses = operation["responses"]
        assert schema_ref(responses["500"]) == "#/components/schemas/Problem", label
        if "422" in responses:
            assert set(responses["422"]["content"]) == {PROBLEM_CONTENT_TYPE}, label
            # ValidationProblem, or a route's own problem model that also lists invalid parts (a report's
            # submission also refuses answers and photos, with the same `errors` member).
            assert schema_ref(responses["422"]) in {
                "#/components/schemas/ValidationProblem",
                "#/components/schemas/SubmissionProblem",
            }, label
        # The shared parameter, or the operation's own Accept-Language (Open311 describes what it chooses).
        assert any(
            parameter == {"$ref": "#/components/parameters/AcceptLanguage"}
            or (
                parameter.get("in") == "header"
                and str(parameter.get("name", "")).lower() == "accept-language"
            )
            for parameter in operation["parameters"]
        ), label
    assert "422" in document["paths"]["/probe/{item}"]["post"]["responses"]


def test_declared_error_responses_get_the_problem_body(app: FastAPI) -> None:
    responses = app.openapi()["paths"]["/probe-declared"]["get"]["responses"]
    assert responses["404"]["description"] == "Nothing here (code not_found)"
    assert schema_ref(responses["404"]) == "#/components/schemas/Problem"
    # A route's `model=Problem` is documented under the media type actually sent.
    assert set(responses["409"]["content"]) == {PROBLEM_CONTENT_TYPE}
    assert schema_ref(responses["409"]) == "#/components/schemas/Problem"


def test_problem_schema_never_promises_null(app: FastAPI) -> None:
    problem = app.openapi()["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "code"]
    assert problem["properties"]["detail"] == {
        "description": problem["properties"]["detail"]["description"],
        "title": "Detail",
        "type": "string",
    }
    assert problem["additionalProperties"] is True


def test_routes_added_later_are_described_once(settings: Settings) -> None:
    app = probe_app(settings)
    first = app.openapi()
    assert app.openapi() is first

    @app.get("/probe-late")
    async def late(limit: int = 10) -> dict[str, int]:
        return {"limit": limit}

    operation = app.openapi()["paths"]["/probe-late"]["get"]
    assert schema_ref(operation["responses"]["422"]) == "#/components/schemas/ValidationProblem"
    assert operation["parameters"].count({"$ref": "#/components/parameters/AcceptLanguage"}) == 1
