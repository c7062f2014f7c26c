"""How a procedure's deadline, fee and online level read to a citizen, in Vietnamese and English.

Vietnamese writes 4,5 and 50.000 where English writes 4.5 and 50,000; both texts come from the same numbers
so that the app never has to format them itself.
"""

from __future__ import annotations

from decimal import Decimal

from dossiers.catalogue.schemas import Deadline, Fee, OnlineService
from dossiers.deadlines import DeadlineKind
from dossiers.types import OnlineLevel

# (Vietnamese, English singular, English plural) after the amount.
_UNITS: dict[DeadlineKind, tuple[str, str, str]] = {
    DeadlineKind.WORKING_DAYS: ("ngày làm việc", "working day", "working days"),
    DeadlineKind.WORKING_HOURS: ("giờ làm việc", "working hour", "working hours"),
    DeadlineKind.CALENDAR_DAYS: ("ngày (tính cả ngày nghỉ)", "calendar day", "calendar days"),
}
_ONLINE: dict[OnlineLevel, tuple[str, str]] = {
    OnlineLevel.FULL: ("Dịch vụ công trực tuyến toàn trình", "Fully online"),
    OnlineLevel.PARTIAL: ("Dịch vụ công trực tuyến một phần", "Partly online"),
}


def _number(amount: Decimal) -> str:
    """The amount without trailing zeros, with a point: 3, 4.5, 0.25, 100."""
    return format(amount.normalize(), "f")


def deadline(kind: DeadlineKind, amount: Decimal) -> Deadline:
    if kind is DeadlineKind.SAME_DAY:
        return Deadline(kind=kind, amount=amount, text_vi="Trong ngày", text_en="Same day")
    vi, singular, plural = _UNITS[kind]
    number = _number(amount)
    english = singular if amount == 1 else plural
    return Deadline(
        kind=kind,
        amount=amount,
        text_vi=f"{number.replace('.', ',')} {vi}",
        text_en=f"{number} {english}",
    )


def fee(amount_vnd: int | None, note_vi: str | None, note_en: str | None) -> Fee:
    if amount_vnd is None or amount_vnd == 0:
        return Fee(
            amount_vnd=amount_vnd, text_vi="Không thu phí", text_en="No fee", note_vi=note_vi, note_en=note_en
        )
    grouped = f"{amount_vnd:,}"
    return Fee(
        amount_vnd=amount_vnd,
        text_vi=f"{grouped.replace(',', '.')} đồng",
        text_en=f"{grouped} VND",
        note_vi=note_vi,
        note_en=note_en,
    )


def online(level: OnlineLevel) -> OnlineService:
    vi, en = _ONLINE[level]
    return OnlineService(level=level, text_vi=vi, text_en=en)
