"""Vietnamese mobile numbers: 0912 345 678, +84 912 345 678 and 84912345678 are the same person.

Numbers are stored in E.164 (+84 and nine digits). Since the 2018 renumbering every mobile number starts with
03, 05, 07, 08 or 09 in national form; landlines (02x) and anything else are refused. Which three-digit
prefixes a carrier holds changes over time, so only the leading digit is checked.
"""

from __future__ import annotations

import re

from core.errors import Message, ProblemError

COUNTRY_CODE = "84"
# People write numbers in groups with spaces, dots or dashes; nothing else is forgiven.
_SEPARATORS = re.compile(r"[ .\-]")
_NATIONAL = re.compile(r"0([35789][0-9]{8})")
_INTERNATIONAL = re.compile(r"\+?84([35789][0-9]{8})")


def invalid_phone() -> ProblemError:
    return ProblemError(
        400,
        "invalid_phone",
        Message(
            "Số điện thoại di động Việt Nam có dạng 0912345678 hoặc +84912345678",
            "A Vietnamese mobile number looks like 0912345678 or +84912345678",
        ),
    )


def normalise_phone(raw: str) -> str:
    """The number in E.164 form (+84xxxxxxxxx), or a 400 invalid_phone problem."""
    compact = _SEPARATORS.sub("", raw.strip())
    # fullmatch with ASCII classes: str.isdigit would let other scripts' digits through.
    match = _NATIONAL.fullmatch(compact) or _INTERNATIONAL.fullmatch(compact)
    if match is None:
        raise invalid_phone()
    return f"+{COUNTRY_CODE}{match.group(1)}"


def mask_phone(phone: str) -> str:
    """For logs: enough to tell numbers apart while investigating, not enough to call anyone."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:5]}{'*' * (len(phone) - 7)}{phone[-2:]}"
