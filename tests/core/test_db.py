"""The database engine: statement parameters (phones, texts with codes) never reach an error or a log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import create_engine
from core.settings import Settings

SECRET = "+84912345678 ma 482913"


async def test_a_failed_statement_does_not_show_its_parameters(
    migrated: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(migrated)
    try:
        with caplog.at_level(logging.DEBUG):
            async with engine.connect() as connection:
                with pytest.raises(DBAPIError) as failed:
                    await connection.execute(text("SELECT CAST(:value AS text), 1 / 0"), {"value": SECRET})
        assert "division by zero" in str(failed.value)
        assert SECRET not in str(failed.value)
        assert SECRET not in caplog.text
    finally:
        await engine.dispose()
