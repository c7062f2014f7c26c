"""Fixtures of the rules' end-to-end tests: the consumers' live database, broker gateway and consumer
factory (tests/iot/ingest), and the rules and alarms written there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.ioc.rules.live.support import LiveRules
from tests.iot.ingest.conftest import consumer, gateway, live_db, live_settings
from tests.iot.ingest.support import LiveDb

__all__ = ["consumer", "gateway", "live_db", "live_rules", "live_settings"]


@pytest.fixture
async def live_rules(live_db: LiveDb) -> AsyncIterator[LiveRules]:
    """Rules added in the live database; every rule, state, alarm and event emptied around the test."""
    rules = LiveRules(live_db.connection)
    await rules.empty()
    try:
        yield rules
    finally:
        await rules.empty()
