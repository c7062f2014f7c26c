"""Report-surge rules, run on every new citizen report in its submission transaction (a report hook).

For each enabled surge rule of the report's category whose scope holds it: the rule's lock is taken (two
nearby reports filed at once take turns), the reports of the category within `radius_m` of the new one and
within `window_seconds` before it are counted, and the new report joins the nearest live cluster of the rule
(one with an active alarm, or one joined within the window) or starts one. A cluster reaching
`min_reports` raises an alarm whose source is the cluster (keyed by its first report), in the reports' unit
and at their centre; each further report repeats it; it clears when no report has joined for
`absent_seconds` (default: the window), through the tick.

A report never fails because of a rule: any error here rolls back to a savepoint, is logged, and the report
is filed as if no rule existed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import raw_connection
from feedback.reports.models import Report
from ioc.rules import engine
from ioc.rules.compiled import Compiled, compile_rule
from ioc.rules.definition import ReportSurgeRule
from ioc.rules.evaluation import outcome, start
from ioc.rules.recording import Outcome, record
from ioc.rules.repository import states, surge
from ioc.rules.state import NOTHING, Action
from ioc.types import SourceKind

log = logging.getLogger("smartcity.ioc.rules")

CLUSTER = SourceKind.REPORT_CLUSTER.value


async def on_new_report(session: AsyncSession, report: Report) -> None:
    """The report hook (feedback.submission.hooks)."""
    try:
        async with session.begin_nested():
            await evaluate(await raw_connection(session), report)
    except Exception:
        log.exception("report surge rules failed; the report is filed without them")


async def evaluate(connection: Any, report: Report) -> None:
    matched = await surge.matching(connection, report.id)
    if not matched:
        return
    rules: dict[Any, Compiled] = {}
    for row in matched:
        try:
            rules[row["rule_id"]] = compile_rule(
                row["rule_id"], row["version"], json.loads(row["definition"])
            )
        except (ValidationError, ValueError):
            log.warning(
                "surge rule left out: its definition cannot be read", extra={"rule_id": str(row["rule_id"])}
            )
    if not rules:
        return
    unit_code = matched[0]["unit_code"]
    at = matched[0]["created_at"]
    await surge.lock_rules(connection, list(rules))
    shapes = []
    for rule in rules.values():
        definition = rule.definition
        assert isinstance(definition, ReportSurgeRule)
        shapes.append((rule.id, definition.radius_m, float(definition.window_seconds)))
    clustered = await surge.clusters(connection, report.id, shapes)
    chosen = []
    for row in clustered:
        rule = rules[row["rule_id"]]
        definition = rule.definition
        assert isinstance(definition, ReportSurgeRule)
        if row["cluster"] is not None:
            chosen.append((rule, row["cluster"], row))
        elif row["reports"] >= definition.min_reports:
            chosen.append((rule, str(row["first_id"]), row))
    if not chosen:
        return
    loaded = await states.lock_pairs(connection, [(rule.id, key) for rule, key, _ in chosen])
    outcomes: list[Outcome] = []
    for rule, key, row in chosen:
        started = start(rule, loaded.get((rule.id, key)))
        after, action = engine.on_report(rule, started[1], at, row["reports"])
        if "lon" not in after.memory:
            after.memory["lon"], after.memory["lat"] = row["lon"], row["lat"]
        actions: list[tuple[Action, dict[str, Any]]] = []
        if action is not NOTHING:
            details = {
                "reports": row["reports"],
                "category_code": report.category_code,
                "report_id": str(report.id),
            }
            actions.append((action, details))
        found = outcome(
            rule,
            None,
            started,
            after,
            actions,
            source_kind=CLUSTER,
            source_key=key,
            unit_code=unit_code,
            lon=after.memory["lon"],
            lat=after.memory["lat"],
        )
        if found is not None:
            outcomes.append(found)
    await record(connection, outcomes)
