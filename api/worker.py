"""The background worker process: the outbox relay, the push dispatcher, the report SLA task, the
device task (liveness, live updates, telemetry upkeep), the rules' time-driven pass, the alerts task
(reactions to alarm changes, reminders), the dispatch task, the incidents sweep and the dossier figures,
stopped cleanly by SIGTERM/SIGINT.

All loops are safe to run in several worker processes at once: the relay, the SLA task, the device task,
the rules task, the dispatch task, the incidents sweep and the dossier figures each keep one active
instance through a PostgreSQL advisory lock (the others stand by), and the dispatcher and the alerts task
claim their rows with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from core.background.stopping import stop_on_signals
from core.events.relay import run_relay
from core.logging import configure_logging
from core.push.dispatcher import run_dispatcher
from core.settings import Settings
from dossiers.figures.tasks import run_figures
from feedback.lifecycle.tasks import run_sla
from ioc.alarms.tasks import run_alerts
from ioc.dispatch.tasks import run_dispatch
from ioc.incidents.tasks import run_incidents
from ioc.install import install as install_ioc
from ioc.rules.tasks import run_rules
from iot.telemetry.tasks import run_devices

logger = logging.getLogger("smartcity.worker")

Loop = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]
LOOPS: dict[str, Loop] = {
    "relay": run_relay,
    "push": run_dispatcher,
    "sla": run_sla,
    "devices": run_devices,
    "alerts": run_alerts,
    "rules": run_rules,
    "dispatch": run_dispatch,
    "incidents": run_incidents,
    "dossier_figures": run_figures,
}


async def run_worker(settings: Settings, names: list[str], stop_event: asyncio.Event | None = None) -> bool:
    """Run the named loops until stopped; False when a loop failed."""
    install_ioc()
    with stop_on_signals(stop_event or asyncio.Event()) as stop:
        logger.info("worker starting", extra={"loops": names})
        tasks = [asyncio.create_task(LOOPS[name](settings, stop), name=name) for name in names]
        failed = False
        # If one loop dies, stop the others too: a supervisor restarts the whole worker.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                logger.error("worker loop failed", exc_info=task.exception(), extra={"loop": task.get_name()})
                failed = True
                stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    logger.info("worker stopped")
    return not failed


def start(settings: Settings, names: list[str]) -> None:
    configure_logging(settings.log_level)
    if not asyncio.run(run_worker(settings, names)):
        raise SystemExit(1)
