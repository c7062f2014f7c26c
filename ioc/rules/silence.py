"""The silence rules' pass of the tick: devices that fell silent (nothing for their liveness window plus the
rule's grace) or whose last will said offline get one alarm; devices back online clear theirs.

The candidates come from one set-based query (ioc.rules.repository.silence); their states are then locked
and decided by the engine, and written like every other outcome. A message from the device clears the
alarm sooner, in the consumer's batch (ioc.rules.evaluation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.rules import engine
from ioc.rules.catalogue import Catalogue
from ioc.rules.definition import SilenceRule
from ioc.rules.evaluation import outcome, start
from ioc.rules.recording import Outcome, record
from ioc.rules.repository import silence, states
from ioc.rules.state import NOTHING, Action
from ioc.types import RuleKind


async def silence_pass(connection: Any, catalogue: Catalogue, now: datetime) -> int:
    """Raise and clear the silence rules' alarms at `now`; how many pairs were looked at."""
    rules = {rule.id: rule for rule in catalogue.of_kind(RuleKind.SILENCE)}
    rows = await silence.candidates(connection, list(rules), now)
    if not rows:
        return 0
    # The devices first, as every writer of their states does (ioc.rules.repository.states).
    await states.lock_devices(connection, sorted({row["device_id"] for row in rows}))
    loaded = await states.lock_pairs(connection, [(row["rule_id"], str(row["device_id"])) for row in rows])
    outcomes: list[Outcome] = []
    for row in rows:
        rule = rules[row["rule_id"]]
        definition = rule.definition
        assert isinstance(definition, SilenceRule)
        key = str(row["device_id"])
        started = start(rule, loaded.get((rule.id, key)))
        heard = engine.hearing(
            now,
            row["last_seen_at"],
            row["reported_state"],
            row["reported_at"],
            window=row["window"],
            grace=definition.grace_seconds,
            reasons=definition.reasons,
        )
        after, action = engine.on_silence(rule, started[1], now, heard)
        actions: list[tuple[Action, dict[str, Any]]] = []
        if action is not NOTHING:
            seen = row["last_seen_at"]
            details = {"reason": heard.offline, "last_seen_at": None if seen is None else seen.isoformat()}
            actions.append((action, details))
        found = outcome(rule, row["device_id"], started, after, actions)
        if found is not None:
            outcomes.append(found)
    await record(connection, outcomes)
    return len(rows)
