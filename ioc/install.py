"""Plugging the operations centre into the parts that know nothing of it.

iot and feedback never import ioc, so each process that may need the centre's reactions installs them once
at start: the API (report hooks run in its submission transactions), the worker (reactions to alarm
changes) and the consumer (the rules on each batch, through `batch_hook`). Installing twice changes nothing.
"""

from __future__ import annotations

from feedback.submission.hooks import register_report_hook
from ioc.alarms.reaction import alert_officers
from ioc.alarms.reactions import register_reaction
from ioc.dispatch.reaction import offer_dispatches
from ioc.incidents.hooks import link_report
from ioc.incidents.links import current_links
from ioc.incidents.reactions import react_to_alarms
from ioc.rules.surge import on_new_report


def install() -> None:
    """Register the report hooks and the reactions to alarm changes of every part of the centre."""
    # Officers' pushes and the reminder clock of new and escalated alarms.
    register_reaction(alert_officers)
    # Offers to the nearest field staff of alarms at the unit's dispatch severity.
    register_reaction(offer_dispatches)
    # Surges of citizen reports.
    register_report_hook(on_new_report)
    # Incidents: alarms and reports close together joined into one. The pairs file is read (and checked)
    # now: a bad file stops the process at start, not at the first report.
    current_links()
    register_reaction(react_to_alarms)
    register_report_hook(link_report)
