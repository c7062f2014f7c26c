"""The real server under an oversized body: 413 problem+json, and its resident memory stays where it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.server import RawResponse, running_server, stream_request

BODY_BYTES = 200 * 1024 * 1024
CHUNK = b" " * (1024 * 1024)
# Allocator noise and a few buffers; a body read whole would add hundreds of MiB.
ALLOWED_GROWTH = 8 * 1024 * 1024
JSON = {"Content-Type": "application/json"}


def _body(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def _assert_413(response: RawResponse) -> None:
    assert response.status == 413, response.head
    assert b"application/problem+json" in response.head.lower()
    assert json.loads(response.body)["code"] == "payload_too_large"
    # Refused within the first few chunks, not after the whole body.
    assert response.body_bytes_sent < 16 * len(CHUNK)


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_oversized_login_body_is_413_and_memory_stays_flat(
    migrated: Settings, tmp_path: Path, announced: bool
) -> None:
    with running_server(migrated, tmp_path / "server.log") as server:
        length = BODY_BYTES if announced else None
        # A first refusal warms up whatever the path allocates once (imports, caches).
        _assert_413(
            stream_request(server.port, "/api/v1/auth/login", JSON, _body(4 * len(CHUNK)), length=length)
        )
        before = server.resident_bytes()
        for _ in range(3):
            _assert_413(
                stream_request(server.port, "/api/v1/auth/login", JSON, _body(BODY_BYTES), length=length)
            )
        grown = server.resident_bytes() - before
    assert grown < ALLOWED_GROWTH, f"resident memory grew by {grown / 2**20:.1f} MiB"
