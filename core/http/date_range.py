"""A range of local dates given as `from` and `to` query parameters (both days counted), checked alike by
every route that takes one: inverted is 422 date_range_reversed, longer than allowed date_range_too_long."""

from __future__ import annotations

from datetime import date

from core.errors import Message, invalid_parameter


def check_date_range(first: date, last: date, *, max_days: int) -> None:
    if last < first:
        raise invalid_parameter(
            "to",
            Message("Ngày kết thúc (to) đứng trước ngày bắt đầu (from)", "to is before from"),
            code="date_range_reversed",
        )
    if (last - first).days + 1 > max_days:
        raise invalid_parameter(
            "to",
            Message(f"Tối đa {max_days} ngày mỗi lần", f"At most {max_days} days at a time"),
            code="date_range_too_long",
        )
