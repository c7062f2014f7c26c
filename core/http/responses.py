"""The problem responses routes document in OpenAPI, written once.

A route lists what it may answer besides success: `responses=responses(UNAUTHENTICATED, problem(404, ...))`.
The descriptions name the stable `code` of each problem, so a client generated from the document knows them.
"""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]

# Routes anyone may call say so with an empty security requirement, so that a generated client sends no token.
PUBLIC_OPENAPI: dict[str, Any] = {"security": []}


def problem(status: int, description: str) -> Responses:
    """One documented problem: its status and what it means, with its code."""
    return {status: {"description": description}}


def responses(*parts: Responses) -> Responses:
    """Several documented problems as one `responses=` mapping; a later part wins on the same status."""
    merged: Responses = {}
    for part in parts:
        merged.update(part)
    return merged


UNAUTHENTICATED = problem(401, "No valid access token (code unauthenticated, invalid_token or token_expired)")
INVALID_CURSOR = problem(400, "The cursor was not made by this list (code invalid_cursor)")
