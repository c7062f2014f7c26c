"""Fixtures of the event tests: committed sessions, the test province, streams, relays and a served app."""

from __future__ import annotations

from tests.support.live import committed, events_settings, relays, serve, stream_redis, units

__all__ = ["committed", "events_settings", "relays", "serve", "stream_redis", "units"]
