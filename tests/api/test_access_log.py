"""The access log names media requests without their full key: a key is the capability to fetch a photo."""

from __future__ import annotations

import logging

import httpx
import pytest


async def test_media_keys_are_shortened_in_the_access_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    digest = "ab" + "c" * 62
    with caplog.at_level(logging.INFO, logger="smartcity.access"):
        await client.get(f"/media/ab/cc/{digest}.jpg")
    [record] = [r for r in caplog.records if r.name == "smartcity.access"]
    assert digest not in record.getMessage()
    assert record.getMessage() == "GET /media/{key} 404"
