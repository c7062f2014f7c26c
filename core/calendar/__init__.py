"""Vietnamese working calendar: working days, working hours and the yearly table of government day swaps."""

from core.calendar.adjustments import (
    DEFAULT_ADJUSTMENTS_FILE,
    AdjustmentsError,
    CalendarAdjustments,
    load_adjustments,
    parse_adjustments,
)
from core.calendar.day_info import DayInfo, DayReason
from core.calendar.working_days import (
    LOCAL_ZONE,
    WorkingCalendar,
    require_aware,
    working_calendar,
)
from core.office_hours import DEFAULT_OFFICE_HOURS

__all__ = [
    "DEFAULT_ADJUSTMENTS_FILE",
    "DEFAULT_OFFICE_HOURS",
    "LOCAL_ZONE",
    "AdjustmentsError",
    "CalendarAdjustments",
    "DayInfo",
    "DayReason",
    "WorkingCalendar",
    "load_adjustments",
    "parse_adjustments",
    "require_aware",
    "working_calendar",
]
