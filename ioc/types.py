"""Closed vocabularies of the operations centre, stored as strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Severity(StrEnum):
    """An alarm's severity, from the most to the least urgent (the order of ITU X.733 and ThingsBoard)."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INDETERMINATE = "indeterminate"


# Higher is more urgent: compare severities through this, never as strings.
SEVERITY_RANK: Final[dict[Severity, int]] = {
    Severity.CRITICAL: 4,
    Severity.MAJOR: 3,
    Severity.MINOR: 2,
    Severity.WARNING: 1,
    Severity.INDETERMINATE: 0,
}


def at_least(severity: Severity | str, floor: Severity | str) -> bool:
    return SEVERITY_RANK[Severity(severity)] >= SEVERITY_RANK[Severity(floor)]


class AlarmStatus(StrEnum):
    ACTIVE_UNACKNOWLEDGED = "active_unacknowledged"
    ACTIVE_ACKNOWLEDGED = "active_acknowledged"
    CLEARED_UNACKNOWLEDGED = "cleared_unacknowledged"
    CLEARED_ACKNOWLEDGED = "cleared_acknowledged"


def alarm_status(*, cleared: bool, acknowledged: bool) -> AlarmStatus:
    if cleared:
        return AlarmStatus.CLEARED_ACKNOWLEDGED if acknowledged else AlarmStatus.CLEARED_UNACKNOWLEDGED
    return AlarmStatus.ACTIVE_ACKNOWLEDGED if acknowledged else AlarmStatus.ACTIVE_UNACKNOWLEDGED


class RuleKind(StrEnum):
    TELEMETRY = "telemetry"  # a condition over a device's metrics (thresholds, rates of change)
    CAMERA = "camera"  # a camera's detections of given types above a confidence
    SILENCE = "silence"  # a device that stopped reporting, or whose last will said offline
    REPORT_SURGE = "report_surge"  # many citizen reports of one category close together


class SourceKind(StrEnum):
    """What raised an alarm: one active alarm per (rule, source)."""

    DEVICE = "device"
    REPORT_CLUSTER = "report_cluster"
