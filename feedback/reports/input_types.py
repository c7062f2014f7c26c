"""The input types of report bodies and queries: the shared ones of core.http.input_types."""

from __future__ import annotations

from core.http.input_types import MAX_YEAR, MIN_YEAR, NoNulStr, UtcMoment, in_utc, no_nul

__all__ = ["MAX_YEAR", "MIN_YEAR", "NoNulStr", "UtcMoment", "in_utc", "no_nul"]
