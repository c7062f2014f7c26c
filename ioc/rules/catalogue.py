"""The rules in force, in memory, and which of them watch each device.

Loaded whole (every enabled, not deleted rule at its current version, its definition parsed once) with the
device -> rules map computed in SQL in one set-based statement. Kept until something changes: every
`ioc_rules_refresh_seconds` one cheap statement compares a signature of the rules and devices tables (counts
and latest changes), and a NOTIFY on smartcity_rules (sent by the rules' admin routes on every change) marks
the copy stale at once. A device registered or moved since the last look is watched from the next one.

A stored definition this code cannot read (written by a newer version of the language) is left out and
logged, never a failed batch.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from ioc.rules.compiled import Compiled, compile_rule
from ioc.rules.repository import catalogue as repository
from ioc.types import RuleKind
from iot.types import KNOWN_METRICS, DeviceType

log = logging.getLogger("smartcity.ioc.rules")

LISTEN_RETRY_SECONDS: Final = 5.0
# The kinds evaluated on a device's messages (silence rules too: a message clears a silence alarm).
DEVICE_KINDS: Final = (RuleKind.TELEMETRY, RuleKind.CAMERA, RuleKind.SILENCE)
_KNOWN_TYPES: Final = frozenset(t.value for t in DeviceType)


@dataclass(frozen=True, slots=True)
class Watch:
    """The rules watching one device, by kind, and the device's liveness window in seconds."""

    telemetry: tuple[Compiled, ...]
    camera: tuple[Compiled, ...]
    silence: tuple[Compiled, ...]
    fresh_for: float


class Catalogue:
    def __init__(
        self,
        refresh_seconds: float,
        *,
        devices: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refresh_seconds = refresh_seconds
        self._with_devices = devices
        self._clock = clock
        self._stale = True
        self._checked_at: float | None = None
        self._signature: str | None = None
        self.rules: dict[uuid.UUID, Compiled] = {}
        self.watches: dict[uuid.UUID, Watch] = {}

    def mark_stale(self) -> None:
        self._stale = True

    @property
    def stale(self) -> bool:
        """Whether the next batch reloads whatever the signature says (a NOTIFY came, or a load failed)."""
        return self._stale

    def of_kind(self, kind: RuleKind) -> list[Compiled]:
        return [rule for rule in self.rules.values() if rule.kind is kind]

    async def ensure_fresh(self, connection: Any) -> None:
        """Reload if a NOTIFY said so, or if the signature moved since the last look (at most one look
        every refresh_seconds)."""
        now = self._clock()
        if (
            not self._stale
            and self._checked_at is not None
            and now - self._checked_at < self._refresh_seconds
        ):
            return
        self._checked_at = now
        signature = await repository.signature(connection)
        if not self._stale and signature == self._signature:
            return
        # Cleared before loading: a notification that arrives meanwhile asks for one more load.
        self._stale = False
        try:
            await self._load(connection)
        except BaseException:
            self._stale = True
            raise
        self._signature = signature

    async def _load(self, connection: Any) -> None:
        rules: dict[uuid.UUID, Compiled] = {}
        for row in await repository.rules_in_force(connection):
            try:
                rules[row["id"]] = compile_rule(row["id"], row["version"], _json(row["definition"]))
            except (ValidationError, ValueError):
                log.warning("rule left out: its definition cannot be read", extra={"rule_id": str(row["id"])})
        watches: dict[uuid.UUID, Watch] = {}
        if self._with_devices:
            kinds = [kind.value for kind in DEVICE_KINDS]
            for row in await repository.watchers(connection, kinds):
                watch = _watch(row["type"], row["window"], (rules.get(i) for i in row["rule_ids"]))
                if watch is not None:
                    watches[row["device_id"]] = watch
        self.rules = rules
        self.watches = watches
        log.info("rules loaded", extra={"rules": len(rules), "watched_devices": len(watches)})


def _watch(device_type: str, window: float, rules: Iterable[Compiled | None]) -> Watch | None:
    """The rules that can say something about a device of this type: telemetry rules reading one of its
    metrics, camera rules on cameras, silence rules on every device."""
    known = KNOWN_METRICS.get(DeviceType(device_type)) if device_type in _KNOWN_TYPES else None
    telemetry: list[Compiled] = []
    camera: list[Compiled] = []
    silence: list[Compiled] = []
    for rule in rules:
        if rule is None:
            continue
        kind = rule.kind
        if kind is RuleKind.TELEMETRY and (known is None or rule.metrics & known):
            telemetry.append(rule)
        elif kind is RuleKind.CAMERA and device_type.startswith("camera_"):
            camera.append(rule)
        elif kind is RuleKind.SILENCE:
            silence.append(rule)
    if not (telemetry or camera or silence):
        return None
    return Watch(tuple(telemetry), tuple(camera), tuple(silence), float(window))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class RulesListener:
    """The LISTEN on smartcity_rules for one catalogue, on a connection of its own (the batch connection is
    inside a transaction, where LISTEN would wait for the commit and vanish with a rollback). Reconnects
    lazily; a new connection marks the catalogue stale, since notifications may have been missed."""

    def __init__(
        self, dsn: str, catalogue: Catalogue, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._dsn = dsn
        self._catalogue = catalogue
        self._clock = clock
        self._connection: Any = None
        self._next_try = 0.0

    async def ensure(self) -> None:
        connection = self._connection
        if connection is not None and not connection.is_closed():
            return
        if connection is not None:
            self._connection = None
            self._catalogue.mark_stale()
        if self._clock() < self._next_try:
            return
        try:
            self._connection = await repository.listen(self._dsn, self._catalogue.mark_stale)
        except Exception as exc:  # the periodic signature check still notices changes meanwhile
            self._next_try = self._clock() + LISTEN_RETRY_SECONDS
            log.warning("cannot listen for rule changes", extra={"error": type(exc).__name__})
            return
        self._catalogue.mark_stale()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            await connection.close()
