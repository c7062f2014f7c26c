"""Fixtures of the WebSocket gateway tests: the committed test province, streams and a served app."""

from __future__ import annotations

from tests.support.live import events_settings, serve, stream_redis, units

__all__ = ["events_settings", "serve", "stream_redis", "units"]
