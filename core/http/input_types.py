"""Input types shared by request bodies and query parameters, so that odd input is a 422, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

# Moments outside these years are refused: no report or dossier was filed before 2000, no deadline lies beyond
# 2999, and the bound keeps every conversion and calendar computation far from datetime's year 9999 limit.
MIN_YEAR = 2000
MAX_YEAR = 2999


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold U+0000; refusing it here keeps it a 422 rather than a database error.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


def in_utc(value: datetime) -> datetime:
    """The moment in UTC; an offset that carries it past year 9999 (or before year 1) is a ValueError."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return moment


# Text stored in the database.
NoNulStr = Annotated[str, AfterValidator(no_nul)]
# A moment with its offset, as UTC, within MIN_YEAR..MAX_YEAR.
UtcMoment = Annotated[AwareDatetime, AfterValidator(in_utc)]
