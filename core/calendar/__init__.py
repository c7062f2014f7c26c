"""Vietnamese working calendar: working days, working hours and the yearly table of government day swaps."""

from core.calendar.adjustments import (
    DEFAULT_ADJUSTMENTS_FILE,
    AdjustmentsError,
    CalendarAdjustments,
    load_adjustments,
    parse_adjustments,
)
from core.calendar.working_days import DEFAULT_OFFICE_HOURS, LOCAL_ZONE, WorkingCalendar, working_calendar

__all__ = [
    "DEFAULT_ADJUSTMENTS_FILE",
    "DEFAULT_OFFICE_HOURS",
    "LOCAL_ZONE",
    "AdjustmentsError",
    "CalendarAdjustments",
    "WorkingCalendar",
    "load_adjustments",
    "parse_adjustments",
    "working_calendar",
]
