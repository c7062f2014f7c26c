"""The consumer's database side: one asyncpg connection, one transaction per batch.

Per batch: the readings' partitions (created when missing), readings by COPY into a temporary staging table
then `INSERT ... ON CONFLICT DO NOTHING` (a redelivered message is a no-op), camera events with the camera's
location and ward copied from the registry, one latest-state row per device, and the dead letters. The
caller acknowledges the batch's messages only after `write` returns True.

A connection error (the database restarting, the connection killed) closes the connection, waits and
retries the same batch: the data is idempotent. Any other database error means some row the checks let
through was refused: the batch is then written message by message and the refused one becomes a dead letter,
so one bad message can never stall the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime
from typing import Any, Final

import asyncpg

from core.background.backoff import Backoff
from core.background.stopping import wait_for_stop
from core.media import LocalMediaStorage, MediaRejectedError, put_async, sanitise_async
from core.settings import Settings
from iot.ingest.budget import DeviceBudget
from iot.ingest.decode import MAX_SNAPSHOT_BYTES, TOPIC_PREFIX, CameraDetection, parse_topic
from iot.ingest.devices import DeviceCache
from iot.ingest.hooks import AfterCommit, BatchHook, StoredBatch, StoredDetection, StoredReading
from iot.ingest.metrics import IngestMetrics
from iot.ingest.plan import Plan, build, dead_row
from iot.ingest.source import Received
from iot.telemetry.repository import partitions
from iot.types import DeadLetterReason

logger = logging.getLogger("smartcity.ingest")

RETRY_FIRST_SECONDS: Final = 0.5
RETRY_MAX_SECONDS: Final = 5.0
SNAPSHOT_TYPES: Final = frozenset({"image/jpeg", "image/png"})

TRANSIENT_ERRORS: Final = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.TransactionRollbackError,
)

_STAGING: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS ingest_readings "
    "(device_id uuid, ts timestamptz, seq bigint, document jsonb) ON COMMIT DELETE ROWS"
)
_STAGING_COLUMNS: Final = ("device_id", "ts", "seq", "document")
_READINGS: Final = (
    "WITH inserted AS (INSERT INTO device_readings (device_id, ts, seq, metrics) "
    "SELECT device_id, ts, seq, document->'metrics' FROM ingest_readings ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT count(*) FROM inserted"
)
# Which staged readings this transaction stored (a batch hook is handed only those): asked only when some
# were not (a redelivery), since every reading is new otherwise and fetching them all back costs.
_READINGS_STORED: Final = (
    "SELECT i.device_id, i.ts, i.seq FROM ingest_readings i "
    "JOIN device_readings r ON r.device_id = i.device_id AND r.ts = i.ts AND r.seq = i.seq "
    "WHERE r.xmin = pg_current_xact_id()::xid"
)
_EVENTS: Final = """
WITH inserted AS (
  INSERT INTO device_camera_events (device_id, ts, seq, type, confidence, plate, bbox, attributes,
                                    snapshot_key, location, ward_code)
  SELECT u.device_id, u.ts, u.seq, u.type, u.confidence, u.plate, u.bbox, u.attributes, u.snapshot_key,
         d.location, d.ward_code
  FROM unnest($1::uuid[], $2::timestamptz[], $3::int8[], $4::text[], $5::float8[], $6::text[], $7::jsonb[],
              $8::jsonb[], $9::text[])
       AS u(device_id, ts, seq, type, confidence, plate, bbox, attributes, snapshot_key)
  JOIN devices d ON d.id = u.device_id
  ON CONFLICT DO NOTHING RETURNING device_id, ts, seq)
SELECT device_id, ts, seq FROM inserted"""
# One row per device. Sequence numbers and timestamps only move forward; metrics merge (a newer message's
# values win); the times are each the latest seen. Rows go in device order so that two consumers lock the
# same rows in the same order. The join skips a device deleted since its message was checked.
_STATE: Final = """
INSERT INTO device_state AS s (device_id, seq, ts, metrics, last_seen_at, reported_state, reported_at,
                               last_event_type, last_event_at, updated_at)
SELECT u.device_id, u.seq, u.ts, coalesce(u.document->'metrics', '{}'), u.last_seen_at, u.reported_state,
       u.reported_at, u.last_event_type, u.last_event_at, now()
FROM unnest($1::uuid[], $2::int8[], $3::timestamptz[], $4::jsonb[], $5::timestamptz[], $6::text[],
            $7::timestamptz[], $8::text[], $9::timestamptz[])
     AS u(device_id, seq, ts, document, last_seen_at, reported_state, reported_at, last_event_type,
          last_event_at)
JOIN devices d ON d.id = u.device_id
ORDER BY u.device_id
ON CONFLICT (device_id) DO UPDATE SET
  seq = CASE WHEN excluded.seq > s.seq OR s.seq IS NULL THEN excluded.seq ELSE s.seq END,
  ts = CASE WHEN excluded.seq > s.seq OR (s.seq IS NULL AND excluded.seq IS NOT NULL) THEN excluded.ts
            ELSE s.ts END,
  metrics = CASE WHEN excluded.seq IS NULL THEN s.metrics
                 WHEN s.seq IS NULL OR excluded.seq > s.seq THEN s.metrics || excluded.metrics
                 ELSE excluded.metrics || s.metrics END,
  last_seen_at = GREATEST(s.last_seen_at, excluded.last_seen_at),
  reported_state = CASE WHEN excluded.reported_at >= s.reported_at OR s.reported_at IS NULL
                        THEN coalesce(excluded.reported_state, s.reported_state) ELSE s.reported_state END,
  reported_at = GREATEST(s.reported_at, excluded.reported_at),
  last_event_type = CASE WHEN excluded.last_event_at >= s.last_event_at OR s.last_event_at IS NULL
                         THEN coalesce(excluded.last_event_type, s.last_event_type)
                         ELSE s.last_event_type END,
  last_event_at = GREATEST(s.last_event_at, excluded.last_event_at),
  updated_at = now()"""
# Where the device id sits in a well-formed topic: city/v1/devices/{36 characters}/...
_REF: Final = slice(len(TOPIC_PREFIX), len(TOPIC_PREFIX) + 36)
_DEAD_COLUMNS: Final = ("received_at", "topic", "device_ref", "reason", "detail", "payload", "payload_bytes")


def asyncpg_dsn(settings: Settings) -> str:
    """The settings spell the URL for SQLAlchemy (`postgresql+asyncpg://`); asyncpg wants `postgresql://`."""
    dsn = settings.database_dsn
    scheme, _, rest = dsn.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else dsn


class Outcome:
    """What one committed batch did, for the metrics."""

    __slots__ = ("dead", "dead_dropped", "duplicates", "events", "readings", "samples", "statuses")

    def __init__(self) -> None:
        self.readings = 0
        self.events = 0
        self.statuses = 0
        self.duplicates = 0
        self.dead: dict[str, int] = {}
        self.dead_dropped: dict[str, int] = {}
        self.samples: list[datetime] = []

    def add(self, plan: Plan, readings: int, events: int) -> None:
        self.readings += readings
        self.events += events
        self.statuses += plan.statuses
        self.duplicates += len(plan.readings) - readings + len(plan.events) - events
        for reason, count in plan.dead_reasons().items():
            self.dead[reason] = self.dead.get(reason, 0) + count
        for reason, count in plan.dead_dropped.items():
            self.dead_dropped[reason] = self.dead_dropped.get(reason, 0) + count
        self.samples.extend(plan.samples)


class Writer:
    def __init__(
        self,
        settings: Settings,
        metrics: IngestMetrics,
        budget: DeviceBudget | None = None,
        hook: BatchHook | None = None,
    ) -> None:
        self._settings = settings
        self._hook = hook
        self._metrics = metrics
        self._budget = budget
        self._dsn = asyncpg_dsn(settings)
        self._connection: Any = None
        self.cache = DeviceCache()
        self._known_days: set[date] = set()
        self._storage = LocalMediaStorage(settings.media_root, url_prefix=settings.media_url_prefix)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await asyncio.wait_for(connection.close(), 5)
            except Exception:
                connection.terminate()

    async def _connect(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            self._connection = None
            connection = await asyncpg.connect(
                self._dsn,
                timeout=10,
                server_settings={"timezone": "UTC", "application_name": f"{self._settings.app_name}-ingest"},
            )
            await connection.execute(_STAGING)
            self._connection = connection
            # The partitions may have been dropped or made by others while this connection was away.
            self._known_days.clear()
        return self._connection

    async def write(self, batch: list[Received], stop: asyncio.Event) -> Outcome | None:
        """Store the batch; None if stopped before it could be (then nothing may be acknowledged)."""
        backoff = Backoff(RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS)
        while True:
            delay = backoff.next()
            try:
                return await self._attempt(batch)
            except TRANSIENT_ERRORS as exc:
                logger.warning(
                    "database unavailable; retrying the batch",
                    extra={"error": _described(exc), "retry_in": delay},
                )
                self._metrics.retries.inc()
                await self.close()
            except Exception:
                # Not the input (that becomes dead letters) but a fault here: keep the process, keep the
                # batch unacknowledged, and try again.
                logger.exception("batch failed; retrying it")
                self._metrics.retries.inc()
                await self.close()
            if await wait_for_stop(stop, delay):
                return None

    async def _attempt(self, batch: list[Received]) -> Outcome:
        connection = await self._connect()
        cache = self.cache
        if cache.due():
            await cache.refresh(connection)
        # Only the topics whose device the copy does not know are parsed here; decode parses all later.
        unknown = {m.topic for m in batch if cache.get(m.topic[_REF]) is None}
        if unknown:
            refs = {parsed[0] for parsed in map(parse_topic, unknown) if type(parsed) is tuple}
            await cache.resolve(connection, refs)
        plan = self._plan(batch)
        snapshots = await self._snapshots(plan)
        outcome = Outcome()
        try:
            await self._commit(connection, plan, snapshots, outcome)
        except asyncpg.PostgresError as exc:
            if isinstance(exc, TRANSIENT_ERRORS):
                raise
            logger.error(
                "batch refused by the database; writing it message by message",
                extra={"error": _described(exc)},
            )
            # A partition dropped by the retention since it was seen is one way to get here.
            self._known_days.clear()
            outcome = await self._one_by_one(connection, batch, snapshots)
        return outcome

    def _plan(self, batch: list[Received]) -> Plan:
        settings = self._settings
        return build(
            batch,
            self.cache,
            received=datetime.now(UTC),
            max_payload_bytes=settings.ingest_max_payload_bytes,
            retention_days=settings.iot_readings_retention_days,
            may_dead_letter=None if self._budget is None else self._budget.dead_letter,
        )

    async def _snapshots(self, plan: Plan) -> dict[int, str]:
        """Store the events' snapshots (sanitised, content-addressed); a key per event index.

        A snapshot that is not a usable JPEG or PNG does not cost the detection: the event is stored
        without it and the refusal counted.
        """
        keys: dict[int, str] = {}
        for index, (_, event) in enumerate(plan.events):
            if event.snapshot is None:
                continue
            try:
                processed = await sanitise_async(
                    event.snapshot, max_bytes=MAX_SNAPSHOT_BYTES, max_pixels=self._settings.media_max_pixels
                )
                if processed.source.content_type not in SNAPSHOT_TYPES:
                    raise MediaRejectedError("unsupported_image_type", reason=processed.source.content_type)
            except MediaRejectedError as exc:
                self._metrics.snapshots_rejected.labels(code=exc.code).inc()
                logger.info("snapshot refused; event stored without it", extra={"code": exc.code})
                continue
            keys[index] = await put_async(self._storage, processed.image.data, processed.image.content_type)
        return keys

    async def _commit(self, connection: Any, plan: Plan, snapshots: dict[int, str], outcome: Outcome) -> None:
        days = [day for day in plan.days() if day not in self._known_days]
        after: AfterCommit | None = None
        async with connection.transaction():
            if days:
                await self._ensure_days(connection, days)
            stored = StoredBatch()
            readings = 0
            if plan.readings:
                await connection.copy_records_to_table(
                    "ingest_readings", records=plan.readings, columns=_STAGING_COLUMNS
                )
                readings = await connection.fetchval(_READINGS)
                if self._hook is not None and readings:
                    some = readings < len(plan.readings)
                    stored.readings = _stored_readings(
                        plan, await connection.fetch(_READINGS_STORED) if some else None
                    )
            events = 0
            if plan.events:
                rows = await self._events(connection, plan, snapshots)
                events = len(rows)
                if self._hook is not None:
                    stored.detections = _stored_detections(plan, snapshots, rows)
            if plan.folds:
                await connection.execute(_STATE, *_state_columns(plan))
            if plan.dead:
                await connection.copy_records_to_table(
                    "ingest_dead_letters", records=plan.dead, columns=_DEAD_COLUMNS
                )
            if self._hook is not None and stored:
                after = await self._hook(connection, stored)
        self._known_days.update(days)
        if after is not None:
            after()
        outcome.add(plan, readings, events)

    async def _ensure_days(self, connection: Any, days: list[date]) -> None:
        rows = await connection.fetch(partitions.LIST_STATEMENT)
        have = {partitions.day_of(row["relname"]) for row in rows}
        missing = [day for day in days if day not in have]
        if missing:
            await connection.execute(partitions.LOCK_STATEMENT)
            for day in missing:
                await connection.execute(partitions.create_statement(day))

    async def _events(self, connection: Any, plan: Plan, snapshots: dict[int, str]) -> list[Any]:
        columns: list[list[Any]] = [[] for _ in range(9)]
        for index, (device_id, event) in enumerate(plan.events):
            row = _event_row(device_id, event, snapshots.get(index))
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return list(await connection.fetch(_EVENTS, *columns))

    async def _one_by_one(self, connection: Any, batch: list[Received], snapshots: dict[int, str]) -> Outcome:
        outcome = Outcome()
        for message in batch:
            plan = self._plan([message])
            try:
                await self._commit(connection, plan, await self._snapshots(plan), outcome)
            except asyncpg.PostgresError as exc:
                if isinstance(exc, TRANSIENT_ERRORS):
                    raise
                refused = Plan()
                detail = f"refused by the database: {type(exc).__name__}: {exc}"
                refused.dead.append(dead_row(message, DeadLetterReason.SCHEMA_VIOLATION, detail, None))
                await self._commit(connection, refused, {}, outcome)
        return outcome


def _described(exc: BaseException) -> str:
    """An error for the logs without its message: PostgreSQL's messages quote the values refused (a
    payload's text), and parameters never go to the logs. The SQLSTATE says which error it was."""
    sqlstate = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__} (SQLSTATE {sqlstate})" if sqlstate else type(exc).__name__


def _stored_readings(plan: Plan, rows: list[Any] | None) -> list[StoredReading]:
    """The plan's readings that the database took, in the plan's order (a redelivered one is left out);
    `rows` None when it took every one (the usual case: redeliveries are rare)."""
    pairs = zip(plan.readings, plan.reading_metrics, strict=True)
    if rows is None:
        return [StoredReading(device_id, ts, seq, metrics) for (device_id, ts, seq, _), metrics in pairs]
    taken = {(row[0], row[1], row[2]) for row in rows}
    return [
        StoredReading(device_id, ts, seq, metrics)
        for (device_id, ts, seq, _), metrics in pairs
        if (device_id, ts, seq) in taken
    ]


def _stored_detections(plan: Plan, snapshots: dict[int, str], rows: list[Any]) -> list[StoredDetection]:
    if not rows:
        return []
    taken = {(row[0], row[1], row[2]) for row in rows}
    return [
        StoredDetection(device_id, event.ts, event.seq, event.type, event.confidence, snapshots.get(index))
        for index, (device_id, event) in enumerate(plan.events)
        if (device_id, event.ts, event.seq) in taken
    ]


def _event_row(device_id: Any, event: CameraDetection, snapshot_key: str | None) -> tuple[Any, ...]:
    bbox = None if event.bbox is None else json.dumps(event.bbox)
    return (
        device_id,
        event.ts,
        event.seq,
        event.type,
        event.confidence,
        event.plate,
        bbox,
        json.dumps(event.attributes),
        snapshot_key,
    )


def _state_columns(plan: Plan) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in range(9)]
    (ids, seqs, tss, metrics, seen, states, state_at, event_types, event_at) = columns
    # Device order (for the locks) is left to the statement: sorting UUIDs in Python is slow.
    for device_id, fold in plan.folds.items():
        ids.append(device_id)
        seqs.append(fold.seq)
        tss.append(fold.ts)
        if fold.document is not None or fold.metrics is None:
            metrics.append(fold.document)
        else:
            metrics.append(json.dumps({"metrics": fold.metrics}))
        seen.append(datetime.fromtimestamp(fold.seen, UTC))
        states.append(fold.state)
        state_at.append(datetime.fromtimestamp(fold.state_wall, UTC) if fold.state is not None else None)
        event_types.append(fold.event_type)
        event_at.append(fold.event_ts)
    return columns
