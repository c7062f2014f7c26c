"""Dossier codes: `{agency code}-{YYMMDD}-{NNNN}`, the receipt's local date and its number of the day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from core.calendar import LOCAL_ZONE
from dossiers.models import DOSSIER_CODE_MAX_LENGTH

_CODE = re.compile(r"(?P<agency>[A-Z0-9]+(?:\.[A-Z0-9]+)*)-(?P<day>[0-9]{6})-(?P<number>[0-9]{4,})")


@dataclass(frozen=True, slots=True)
class DossierCode:
    agency: str
    day: date
    number: int


def parse_code(code: str) -> DossierCode | None:
    """The parts of a well-formed code, None for anything else (a YYMMDD that is no real date included)."""
    if len(code) > DOSSIER_CODE_MAX_LENGTH:
        return None
    match = _CODE.fullmatch(code)
    if match is None:
        return None
    day = match.group("day")
    try:
        # Two-digit years are of this century: the national codes began long after 2000.
        received = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        return None
    return DossierCode(agency=match.group("agency"), day=received, number=int(match.group("number")))


def local_day(moment: datetime) -> date:
    """The date in Asia/Ho_Chi_Minh, which the code's YYMMDD is written in."""
    return moment.astimezone(LOCAL_ZONE).date()
