"""Fixtures of the API process tests: committed sessions and relays (the worker process), fresh reads of the
push tables (the device routes)."""

from __future__ import annotations

from tests.support.live import committed, relays
from tests.support.push import rows

__all__ = ["committed", "relays", "rows"]
