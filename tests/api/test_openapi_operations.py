"""What a generated client learns from each operation: whether it must send a token, and its method name."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.app import create_app
from api.route_access import RouteAccess, route_access
from core.http.policies import OPTIONAL_PRINCIPAL, PUBLIC, policy_of
from core.settings import Settings

BEARER: dict[str, list[str]] = {"HTTPBearer": []}
OPTIONAL_SIGN_IN = [{}, BEARER]
# Short snake case: <tag>_<handler>, so `feedback_report_by_code`, never `..._api_v1_feedback_by_code_get`.
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+){0,5}$")
MAX_OPERATION_ID = 40
# What FastAPI's default ids carry: the path's version prefix and the method at the end.
PATH_NOISE = re.compile(r"(^|_)(api_v1|open311_v2)(_|$)|_(get|post|put|patch|delete)$")


@pytest.fixture(scope="module")
def described() -> tuple[dict[str, Any], list[RouteAccess]]:
    app = create_app(Settings())
    return app.openapi(), route_access(app)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def test_optional_sign_in_is_documented_as_optional(
    described: tuple[dict[str, Any], list[RouteAccess]],
) -> None:
    document, routes = described
    assert OPTIONAL_PRINCIPAL.dependency is not None
    assert PUBLIC.dependency is not None
    optional, public = policy_of(OPTIONAL_PRINCIPAL.dependency), policy_of(PUBLIC.dependency)
    found = set()
    for route in routes:
        for method in route.methods:
            operation = document["paths"].get(route.path, {}).get(method.lower())
            if operation is None:
                continue
            security = operation.get("security")
            if optional in route.policies:
                found.add((method, route.path))
                assert security == OPTIONAL_SIGN_IN, (method, route.path, security)
            elif any(policy.optional_credentials for policy in route.policies):
                # Another optional credential (an operator's API key): none first, each scheme once.
                assert security, (method, route.path)
                assert security[0] == {}, (method, route.path, security)
                assert {} not in security[1:], (method, route.path, security)
                assert len(security) == len({str(item) for item in security}), (method, route.path, security)
            elif public in route.policies:
                assert not security, (method, route.path, security)
            else:
                # A route that needs credentials never offers "none" among its options.
                assert security, (method, route.path)
                assert {} not in security, (method, route.path, security)
    assert {("GET", "/api/v1/feedback/{report_id}"), ("GET", "/api/v1/feedback/by-code/{code}")} <= found


def test_operation_ids_are_unique_short_and_free_of_path_noise(
    described: tuple[dict[str, Any], list[RouteAccess]],
) -> None:
    document, _ = described
    ids = [(method, path, operation.get("operationId")) for method, path, operation in _operations(document)]
    bad = [
        (method, path, name)
        for method, path, name in ids
        if not isinstance(name, str)
        or not OPERATION_ID.fullmatch(name)
        or len(name) > MAX_OPERATION_ID
        or PATH_NOISE.search(name)
    ]
    assert not bad
    names = [str(name) for _, _, name in ids]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)


def test_operation_ids_name_the_tag_and_the_handler(
    described: tuple[dict[str, Any], list[RouteAccess]],
) -> None:
    document, _ = described
    by_route = {(method, path): operation["operationId"] for method, path, operation in _operations(document)}
    assert by_route["GET", "/api/v1/feedback/by-code/{code}"] == "feedback_report_by_code"
    assert by_route["GET", "/api/v1/feedback/{report_id}"] == "feedback_report_detail"
    assert by_route["GET", "/api/v1/devices"] == "devices_list_devices"
    assert by_route["GET", "/api/v1/me/devices"] == "push_list_devices"
    assert by_route["GET", "/health"] == "health"
