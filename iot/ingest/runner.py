"""`smartcity ingest`: receive in paho's thread, write batches in the event loop, acknowledge after commit.

A batch closes when `ingest_batch_size` messages wait or `ingest_batch_seconds` have passed, whichever comes
first. While a batch commits, paho keeps receiving the next one (the broker may have twice the batch size in
flight). SIGTERM/SIGINT finish the batch in hand, acknowledge it, and disconnect without ending the MQTT
session, so what was not acknowledged waits for the same client id.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from core.background.stopping import stop_on_signals, wait_any
from core.logging import configure_logging
from core.settings import Settings
from iot.ingest.budget import DeviceBudget
from iot.ingest.hooks import BatchHook
from iot.ingest.metrics import IngestMetrics
from iot.ingest.source import Received, Source
from iot.ingest.writer import Outcome, Writer

logger = logging.getLogger("smartcity.ingest")

# (young objects before a pass, young passes before a middle one, middle before an old one); CPython's are
# (700, 10, 10).
GC_THRESHOLDS: Final = (20_000, 20, 20)


async def run_ingest(
    settings: Settings,
    stop_event: asyncio.Event,
    *,
    client_id: str | None = None,
    group: str | None = None,
    metrics: IngestMetrics | None = None,
    ready: Callable[[Source], None] | None = None,
    hook: BatchHook | None = None,
) -> None:
    """Run one consumer until `stop_event` is set; `ready` is handed the MQTT side once it is started;
    `hook` runs in each batch's transaction with what the batch stored (iot.ingest.hooks)."""
    loop = asyncio.get_running_loop()
    metrics = metrics or IngestMetrics()
    batch_size = settings.ingest_batch_size
    full = asyncio.Event()
    source = Source(
        settings,
        client_id=client_id or settings.ingest_client_id,
        group=group or settings.ingest_group,
        batch_size=batch_size,
        on_full=lambda: _wake(loop, full),
    )
    budget = DeviceBudget(settings)
    writer = Writer(settings, metrics, budget, hook)
    source.start()
    if ready is not None:
        ready(source)
    logger.info(
        "ingest started",
        extra={"client_id": client_id or settings.ingest_client_id, "group": group or settings.ingest_group},
    )
    try:
        while not stop_event.is_set():
            if source.pending() < batch_size:
                full.clear()
                await wait_any(stop_event, full, seconds=settings.ingest_batch_seconds)
            batch = source.take(batch_size)
            metrics.buffered.set(source.pending() + len(batch))
            if batch and not await _handle(batch, budget, writer, source, metrics, stop_event):
                return
        # Stopping: what has arrived so far is written and acknowledged once more before leaving.
        batch = source.take(batch_size * 2)
        if batch:
            await _handle(batch, budget, writer, source, metrics, stop_event)
    finally:
        await asyncio.to_thread(source.stop)
        await writer.close()
        logger.info("ingest stopped")


def tune_collector() -> None:
    """Fewer, larger passes of the cycle collector. A batch allocates about a hundred thousand short-lived
    objects (messages, rows, records), so the default thresholds collect hundreds of times a batch, and every
    older pass walks what the process keeps (the device registry, a batch hook's copy of the rules' states):
    about a tenth of a rules-on consumer's CPU. What was loaded at start is set aside for good (freeze)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    loop.call_soon_threadsafe(event.set)


async def _handle(
    batch: list[Received],
    budget: DeviceBudget,
    writer: Writer,
    source: Source,
    metrics: IngestMetrics,
    stop: asyncio.Event,
) -> bool:
    """Write the batch's messages within their devices' budgets and acknowledge the whole batch; False if
    stopped before it was stored. The budget is spent once per message, before any retry."""
    started = time.perf_counter()
    admitted, throttled = budget.admit(batch)
    outcome = await writer.write(admitted, stop) if admitted else Outcome()
    if outcome is None:
        return False
    source.ack(batch)
    metrics.commit_seconds.observe(time.perf_counter() - started)
    metrics.throttled.inc(throttled)
    _count(batch, outcome, metrics)
    return True


def _count(batch: list[Received], outcome: Outcome, metrics: IngestMetrics) -> None:
    metrics.received.inc(len(batch))
    metrics.batches.inc()
    metrics.stored.labels(kind="telemetry").inc(outcome.readings)
    metrics.stored.labels(kind="event").inc(outcome.events)
    metrics.stored.labels(kind="status").inc(outcome.statuses)
    metrics.duplicates.inc(outcome.duplicates)
    for reason, count in outcome.dead.items():
        metrics.dead_letters.labels(reason=reason).inc(count)
    for reason, count in outcome.dead_dropped.items():
        metrics.dead_letters_dropped.labels(reason=reason).inc(count)
    now = datetime.now(UTC)
    for ts in outcome.samples:
        metrics.delay_seconds.observe(max(0.0, (now - ts).total_seconds()))


def start(
    settings: Settings,
    *,
    client_id: str | None = None,
    group: str | None = None,
    hook: BatchHook | None = None,
) -> None:
    """The CLI's entry: logging, metrics endpoint, signals, and the consumer until SIGTERM/SIGINT."""
    tune_collector()
    configure_logging(settings.log_level)
    metrics = IngestMetrics()
    metrics.serve(settings.ingest_metrics_host, settings.ingest_metrics_port)

    async def main() -> None:
        with stop_on_signals(asyncio.Event()) as stop:
            await run_ingest(settings, stop, client_id=client_id, group=group, metrics=metrics, hook=hook)

    asyncio.run(main())
