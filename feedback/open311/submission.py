"""Open311 GeoReport v2 POST requests: the spec's form fields parsed into a submission, and its attributes
turned into answers of the category's question datatypes. Anything we cannot take is a 400 in the spec's
error format with a description saying why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Message
from feedback.catalogue.schemas import Question, QuestionDatatype
from feedback.open311.requests import bad_request
from feedback.reports.models import ADDRESS_MAX_LENGTH, DESCRIPTION_MAX_LENGTH

CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")
CONTACT_MAX_LENGTH = 200
MEDIA_URL_MAX_LENGTH = 2000
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,64})\](\[\])?")


@dataclass(frozen=True, slots=True)
class Open311Submission:
    """A POST requests form, parsed; answers still as sent (see `answers`)."""

    service_code: str
    lat: float
    lon: float
    description: str
    address: str | None
    attributes: dict[str, list[str]]
    contact: dict[str, str]
    account_id: str | None


def _one(form: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in form if key == name]
    if len(values) > 1:
        raise bad_request(Message(f"{name} chỉ được gửi một lần", f"{name} may be sent only once"))
    value = values[0].strip() if values else ""
    return value or None


def _coordinate(form: Sequence[tuple[str, str]], name: str, limit: float) -> float:
    raw = _one(form, name)
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        value = None
    if value is None or not -limit <= value <= limit:
        raise bad_request(
            Message(
                f"{name} phải là một số từ -{limit:g} đến {limit:g}",
                f"{name} must be a number from -{limit:g} to {limit:g}",
            )
        )
    return value


def parse_submission(form: Sequence[tuple[str, str]]) -> Open311Submission:
    """The spec's form fields; 400 with a clear description for anything we cannot take."""
    service_code = _one(form, "service_code")
    if service_code is None:
        raise bad_request(Message("Thiếu service_code", "service_code is required"))
    if _one(form, "lat") is None or _one(form, "long") is None:
        # address_string and address_id are in the spec, but reports are routed by their point only.
        raise bad_request(
            Message(
                "Cần gửi lat và long: máy chủ này chỉ xác định vị trí theo tọa độ, không theo address_string "
                "hay address_id",
                "Send lat and long: this server locates reports by coordinates only, not by "
                "address_string or address_id",
            )
        )
    lat, lon = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    contact: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        value = _one(form, name)
        if value is not None:
            if len(value) > CONTACT_MAX_LENGTH:
                raise bad_request(Message(f"{name} quá dài", f"{name} is too long"))
            contact[name] = value
    media = _one(form, "media_url")
    if media is not None:
        if len(media) > MEDIA_URL_MAX_LENGTH or not re.fullmatch(r"https?://\S+", media):
            raise bad_request(
                Message("media_url phải là một URL http(s)", "media_url must be an http(s) URL")
            )
        # Kept for officers to open; the server never fetches a URL a client names.
        contact["media_url"] = media
    description = _one(form, "description") or ""
    address = _one(form, "address_string")
    if len(description) > DESCRIPTION_MAX_LENGTH or len(address or "") > ADDRESS_MAX_LENGTH:
        raise bad_request(
            Message(
                f"description tối đa {DESCRIPTION_MAX_LENGTH} ký tự, "
                f"address_string tối đa {ADDRESS_MAX_LENGTH}",
                f"description takes at most {DESCRIPTION_MAX_LENGTH} characters, address_string "
                f"{ADDRESS_MAX_LENGTH}",
            )
        )
    attributes: dict[str, list[str]] = {}
    for key, value in form:
        if (match := _ATTRIBUTE.fullmatch(key)) is not None and value.strip():
            attributes.setdefault(match.group(1), []).append(value.strip())
    return Open311Submission(
        service_code=service_code,
        lat=lat,
        lon=lon,
        description=description,
        address=address,
        attributes=attributes,
        contact=contact,
        account_id=contact.get("account_id"),
    )


def _number(code: str, raw: str) -> int | float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise bad_request(Message(f"attribute[{code}] phải là một số", f"attribute[{code}] must be a number"))
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def answers(submission: Open311Submission, questions: Sequence[Question]) -> dict[str, Any]:
    """The attributes the service defines, as answers of their datatypes; submission checks the required
    ones. Attributes the service does not define are ignored."""
    by_code = {question.code: question for question in questions}
    result: dict[str, Any] = {}
    for code, values in submission.attributes.items():
        question = by_code.get(code)
        if question is None:
            # Clients add attributes of their own (FixMyStreet sends its report id, title and URL among
            # them); only those the service defines are answers.
            continue
        if question.datatype is QuestionDatatype.MULTI_CHOICE:
            result[code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise bad_request(
                Message(f"attribute[{code}] chỉ nhận một giá trị", f"attribute[{code}] takes a single value")
            )
        result[code] = _number(code, values[0]) if question.datatype is QuestionDatatype.NUMBER else values[0]
    return result
