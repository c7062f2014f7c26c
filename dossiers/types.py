"""The vocabulary of dossiers: the national status codes and their transitions, channels, ratings.

The status codes are those one-stop systems report nationally (1 submitted online ... 10 result returned), so
an agency's update carries the number it already uses.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(IntEnum):
    SUBMITTED_ONLINE = 1
    ACCEPTED = 2
    REFUSED = 3
    IN_PROCESS = 4
    MORE_DOCUMENTS = 5
    FEE_DUE = 6
    WITHDRAWN = 7
    STOPPED = 8
    RESULT_READY = 9
    RESULT_RETURNED = 10


TERMINAL: frozenset[Status] = frozenset(
    {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RESULT_RETURNED}
)

# Where each status may go next. 4 -> 4 is allowed: a dossier moves from one office to the next while in
# process, and each hand-over is a step of the timeline.
_WITHDRAWABLE = frozenset(
    {Status.SUBMITTED_ONLINE, Status.ACCEPTED, Status.IN_PROCESS, Status.MORE_DOCUMENTS, Status.FEE_DUE}
)
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED_ONLINE: frozenset({Status.ACCEPTED, Status.REFUSED}),
    Status.ACCEPTED: frozenset({Status.IN_PROCESS}),
    Status.IN_PROCESS: frozenset(
        {Status.IN_PROCESS, Status.MORE_DOCUMENTS, Status.FEE_DUE, Status.STOPPED, Status.RESULT_READY}
    ),
    Status.MORE_DOCUMENTS: frozenset({Status.IN_PROCESS, Status.STOPPED}),
    Status.FEE_DUE: frozenset({Status.IN_PROCESS, Status.RESULT_READY}),
    Status.RESULT_READY: frozenset({Status.RESULT_RETURNED}),
}
for _status in _WITHDRAWABLE:
    ALLOWED[_status] = ALLOWED[_status] | {Status.WITHDRAWN}
for _status in TERMINAL:
    ALLOWED[_status] = frozenset()

# A dossier is first known to us in one of these: filed online (1) or received at the counter (2).
INITIAL: frozenset[Status] = frozenset({Status.SUBMITTED_ONLINE, Status.ACCEPTED})

# The dossier is finished (its handling is over, for the on-time figures) once it reaches one of these.
FINISHED: frozenset[Status] = frozenset(
    {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RESULT_READY, Status.RESULT_RETURNED}
)


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED[current]


STATUS_NAMES: dict[Status, tuple[str, str]] = {
    Status.SUBMITTED_ONLINE: ("Đã nộp trực tuyến", "Submitted online"),
    Status.ACCEPTED: ("Đã tiếp nhận", "Accepted"),
    Status.REFUSED: ("Từ chối tiếp nhận", "Refused"),
    Status.IN_PROCESS: ("Đang xử lý", "In process"),
    Status.MORE_DOCUMENTS: ("Yêu cầu bổ sung hồ sơ", "More documents requested"),
    Status.FEE_DUE: ("Chờ nộp phí, lệ phí", "Fee due"),
    Status.WITHDRAWN: ("Đã rút hồ sơ", "Withdrawn"),
    Status.STOPPED: ("Dừng xử lý", "Stopped"),
    Status.RESULT_READY: ("Có kết quả, chờ trả", "Result ready"),
    Status.RESULT_RETURNED: ("Đã trả kết quả", "Result returned"),
}


class Channel(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    POST = "post"


class AgencyLevel(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"


class OnlineLevel(StrEnum):
    PARTIAL = "partial"
    FULL = "full"


class Rating(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


# The deadline kinds of the procedure catalogue (the arithmetic is in dossiers/deadlines.py).
DEADLINE_KINDS: tuple[str, ...] = ("working_days", "working_hours", "calendar_days", "same_day")
