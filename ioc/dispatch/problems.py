"""The problems field dispatch answers, each with a stable code and its Vietnamese and English text."""

from __future__ import annotations

import uuid

from core.errors import Message, ProblemError


def alarm_not_found(alarm_id: uuid.UUID) -> ProblemError:
    # The same answer for an alarm that does not exist and one of another unit: nothing leaks.
    return ProblemError(
        404,
        "alarm_not_found",
        Message(f"Không tìm thấy cảnh báo {alarm_id}", f"No alarm {alarm_id}"),
    )


def alarm_cleared() -> ProblemError:
    return ProblemError(
        409, "alarm_cleared", Message("Cảnh báo đã kết thúc", "The alarm has already been cleared")
    )


def not_offered() -> ProblemError:
    return ProblemError(
        403,
        "not_offered",
        Message("Việc này không được mời cho bạn", "This alarm was not offered to you"),
    )


def dispatch_taken() -> ProblemError:
    return ProblemError(
        409,
        "dispatch_taken",
        Message("Một đồng nghiệp đã nhận việc này", "A colleague has already taken this alarm"),
    )


def offer_closed() -> ProblemError:
    return ProblemError(
        409,
        "offer_closed",
        Message(
            "Lời mời đã được trả lời hoặc đã hết hạn",
            "This offer has already been answered, or has expired",
        ),
    )


def not_assignee() -> ProblemError:
    return ProblemError(
        403,
        "not_alarm_assignee",
        Message(
            "Chỉ người được giao cảnh báo này mới được cập nhật",
            "Only the person this alarm is assigned to may report on it",
        ),
    )


def outside_province(lat: float, lon: float) -> ProblemError:
    return ProblemError(
        422,
        "outside_province",
        Message("Vị trí nằm ngoài địa bàn tỉnh", "The position is outside the province"),
        extensions={"location": {"lat": lat, "lon": lon}},
    )
