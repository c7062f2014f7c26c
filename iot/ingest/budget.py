"""Each device's budget in one consumer: a flooding device must not starve the others or fill the dead-letter
table without bound.

Per device (the id in the topic, which the broker's ACL ties to the publishing device) and per one-minute
window of the consumer's clock, at most `ingest_device_messages_per_minute` messages are taken into a batch;
the rest are acknowledged without being stored and counted (`ingest_messages_throttled_total`). Of those
taken, at most `ingest_device_dead_letters_per_minute` that cannot be stored are written as dead letters; the
rest are counted by reason (`ingest_dead_letters_dropped_total`). Fixed windows keep the cost at one dict
lookup a message and the memory at the devices seen in the current minute; the price is that a burst
straddling two windows may get up to twice the budget.

A device's status messages (online/offline, the last will) have an allowance of their own,
STATUS_PER_MINUTE: a device that floods telemetry still gets its "offline" stored, so its state stays true.

The budget is per consumer process: with K consumers in the group, a device's messages are split between
them, so its budget is up to K times the setting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from core.settings import Settings
from iot.ingest.source import Received

WINDOW_SECONDS = 60.0
# Statuses come on connect, on disconnect and as the last will: a handful a minute even for a flaky device.
STATUS_PER_MINUTE = 30
_PREFIX = "city/v1/devices/"
_STATUS_SUFFIX = "/status"


def device_key(topic: str) -> str:
    """Whose budget a message spends: the device segment of a device topic, else the whole topic."""
    if topic.startswith(_PREFIX):
        return topic[len(_PREFIX) :].split("/", 1)[0]
    return topic


class DeviceBudget:
    """Counts per device in the current window; not thread-safe (the consumer's event loop uses it)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._messages = settings.ingest_device_messages_per_minute
        self._dead_letters = settings.ingest_device_dead_letters_per_minute
        self._clock = clock
        self._window = -1
        self._taken: dict[str, int] = {}
        self._dead: dict[str, int] = {}

    def _roll(self) -> None:
        window = int(self._clock() // WINDOW_SECONDS)
        if window != self._window:
            self._window = window
            self._taken.clear()
            self._dead.clear()

    def admit(self, batch: list[Received]) -> tuple[list[Received], int]:
        """The messages within their device's budget, and how many were over it."""
        self._roll()
        taken = self._taken
        admitted: list[Received] = []
        for message in batch:
            key = device_key(message.topic)
            limit = self._messages
            if message.topic.endswith(_STATUS_SUFFIX):
                key, limit = f"{key}{_STATUS_SUFFIX}", STATUS_PER_MINUTE
            count = taken.get(key, 0)
            if count < limit:
                taken[key] = count + 1
                admitted.append(message)
        return admitted, len(batch) - len(admitted)

    def dead_letter(self, topic: str) -> bool:
        """Whether one more dead letter of this topic's device may be written in this window."""
        self._roll()
        key = device_key(topic)
        count = self._dead.get(key, 0)
        if count >= self._dead_letters:
            return False
        self._dead[key] = count + 1
        return True
