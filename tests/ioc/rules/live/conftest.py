"""Fixtures of the rules' end-to-end tests: the consumers' live database, broker gateway and consumer
factory (tests/iot/ingest), and the rules and alarms written there."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from core.settings import Settings
from ioc.rules.evaluation import RuleHook
from ioc.rules.hooks import batch_hook
from tests.ioc.rules.live.support import LiveRules
from tests.iot.ingest.conftest import consumer, gateway, live_db, live_settings
from tests.iot.ingest.support import LiveDb

__all__ = ["consumer", "gateway", "live_db", "live_rules", "live_settings", "rule_hooks"]


@pytest.fixture
async def live_rules(live_db: LiveDb) -> AsyncIterator[LiveRules]:
    """Rules added in the live database; every rule, state, alarm and event emptied around the test."""
    rules = LiveRules(live_db.connection)
    await rules.empty()
    try:
        yield rules
    finally:
        await rules.empty()


@pytest.fixture
async def rule_hooks(live_settings: Settings) -> AsyncIterator[Callable[..., RuleHook]]:
    """`rule_hooks(**settings)`: the consumer's rules hook as `smartcity ingest` builds it, on the live
    database; each one's LISTEN connection is closed afterwards."""
    made: list[RuleHook] = []

    def make(**overrides: object) -> RuleHook:
        hook = batch_hook(live_settings.model_copy(update=overrides))
        made.append(hook)
        return hook

    yield make
    for hook in made:
        await hook.close()
