"""A device's liveness window in SQL (the same rule as iot.telemetry.liveness): OFFLINE_AFTER_INTERVALS
report intervals, the interval being the device's own `report_interval_seconds` (a positive number in its
metadata) or its type's. One expression, so the consumers, the tick and the silence pass agree."""

from __future__ import annotations

import json
from typing import Final

from iot.types import OFFLINE_AFTER_INTERVALS, REPORT_INTERVAL_SECONDS

_DEFAULTS: Final = json.dumps({kind.value: seconds for kind, seconds in REPORT_INTERVAL_SECONDS.items()})


def window_of(device: str) -> str:
    """The window in seconds (float8) of the device row aliased `device`; built from constants only."""
    declared = f"{device}.metadata -> 'report_interval_seconds'"
    return (
        f"({OFFLINE_AFTER_INTERVALS} * COALESCE("
        f"CASE WHEN jsonb_typeof({declared}) = 'number' "
        f"THEN NULLIF(GREATEST(({declared})::text::float8, 0), 0) END, "
        f"('{_DEFAULTS}'::jsonb ->> {device}.type)::float8, 60))"
    )
