"""What a generated client learns from each operation besides its errors: its method name and whether it
must send a token.

- operationIds are `<tag>_<handler>` (`feedback_report_by_code`), never FastAPI's default, which appends
  the path and the method (`report_by_code_api_v1_feedback_by_code__code__get`). SDK generators name their
  methods after them, so they are part of the contract: mobile_contract/compat.py counts a change as breaking.
- A route whose policy takes optional credentials (OptionalPrincipal; optional_api_key on /ready) answers
  anonymous callers too. FastAPI documents it with the scheme its dependency reads, as if credentials were
  required; the document offers "no credentials" as the first option instead, so that a generated client
  sends them only when it has them.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.route_access import route_access

_NOT_A_WORD = re.compile(r"[^a-z0-9]+")
# The empty requirement: the operation may be called without any credentials.
NO_CREDENTIALS: dict[str, list[str]] = {}


def operation_id(route: APIRoute) -> str:
    """`<first tag>_<handler name>`, or the handler name alone when it already starts with the tag."""
    name = _snake(route.name)
    tag = _snake(str(route.tags[0])) if route.tags else ""
    if not tag or name == tag or name.startswith(f"{tag}_"):
        return name
    return f"{tag}_{name}"


def _snake(text: str) -> str:
    return _NOT_A_WORD.sub("_", text.lower()).strip("_")


def describe_optional_sign_in(document: MutableMapping[str, Any], app: FastAPI) -> None:
    """Offer "no credentials" on every operation whose policy takes optional credentials."""
    paths = document.get("paths") or {}
    for route in route_access(app):
        if not any(policy.optional_credentials for policy in route.policies):
            continue
        for method in route.methods:
            operation = (paths.get(route.path) or {}).get(method.lower())
            if operation is None:
                continue
            requirements: list[dict[str, list[str]]] = []
            for item in operation.get("security") or []:
                if item and item not in requirements:
                    requirements.append(item)
            operation["security"] = [NO_CREDENTIALS, *requirements]
