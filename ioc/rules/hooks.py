"""The consumer's entry point to the rules: `smartcity ingest` installs `batch_hook(settings)` as its batch
hook (iot.ingest.hooks), so that iot never imports ioc."""

from __future__ import annotations

from core.settings import Settings
from ioc.rules.catalogue import Catalogue, RulesListener
from ioc.rules.evaluation import RuleHook
from iot.ingest.writer import asyncpg_dsn


def batch_hook(settings: Settings) -> RuleHook:
    """A hook with its own catalogue of rules, kept fresh by a LISTEN on smartcity_rules and a periodic
    look."""
    catalogue = Catalogue(settings.ioc_rules_refresh_seconds)
    return RuleHook(catalogue, RulesListener(asyncpg_dsn(settings), catalogue))
