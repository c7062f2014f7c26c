"""Why an agency's procedure item is refused: a stable reason per item, so that its system can tell the
operator what to fix while the other items of the batch are applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.errors import Message
from dossiers.catalogue.schemas import ItemError, ProcedureUpsert

REASONS: Mapping[str, Message] = {
    "invalid_code": Message(
        "Mã thủ tục không đúng định dạng mã quốc gia (ví dụ 1.003560.000.00.00.H56)",
        "The code is not a national procedure code (e.g. 1.003560.000.00.00.H56)",
    ),
    "missing_name": Message("Thiếu tên thủ tục", "The procedure's name is missing"),
    "missing_field": Message("Thiếu lĩnh vực của thủ tục", "The procedure's field is missing"),
    "invalid_text": Message(
        "Một trường văn bản quá dài hoặc chứa ký tự không hợp lệ",
        "A text is too long or holds an invalid character",
    ),
    "invalid_level": Message(
        "Cấp thực hiện phải là province hoặc commune", "The level must be province or commune"
    ),
    "invalid_online_level": Message(
        "Mức độ trực tuyến phải là partial hoặc full", "The online level must be partial or full"
    ),
    "invalid_deadline": Message(
        "Thời hạn giải quyết không hợp lệ: loại không biết hoặc số lượng không phù hợp với loại",
        "The deadline is not valid: an unknown kind, or an amount that does not fit the kind",
    ),
    "negative_fee": Message("Lệ phí không được âm", "The fee may not be negative"),
    "invalid_fee": Message("Lệ phí phải là số nguyên đồng", "The fee must be a whole number of đồng"),
    "invalid_documents": Message(
        "Danh sách thành phần hồ sơ không hợp lệ", "The list of documents is not valid"
    ),
    "duplicate_in_batch": Message(
        "Mã thủ tục đã có ở một mục trước trong cùng yêu cầu",
        "An earlier item of this request has the same code",
    ),
    "malformed": Message("Mục dữ liệu không đúng cấu trúc", "The item does not have the expected shape"),
}

# The reason for an error on each member; members not listed (and unknown ones) make the item malformed.
_BY_MEMBER: Mapping[str, str] = {
    "code": "invalid_code",
    "name_vi": "missing_name",
    "field_vi": "missing_field",
    "name_en": "invalid_text",
    "field_en": "invalid_text",
    "fee_note_vi": "invalid_text",
    "fee_note_en": "invalid_text",
    "level": "invalid_level",
    "online_level": "invalid_online_level",
    "deadline": "invalid_deadline",
    "fee_vnd": "invalid_fee",
    "documents": "invalid_documents",
}
# A name that is there but unusable (too long, a NUL) is bad text rather than missing.
_PRESENT_BUT_BAD = frozenset({"string_too_long", "value_error", "string_type"})


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    errors: list[ItemError] = field(default_factory=list)

    @property
    def message(self) -> Message:
        return REASONS[self.reason]


def _pointer(location: tuple[int | str, ...]) -> str:
    return "".join("/" + str(key).replace("~", "~0").replace("/", "~1") for key in location)


def _reason(error: Mapping[str, Any]) -> str:
    location = error["loc"]
    member = location[0] if location else None
    if error["type"] == "extra_forbidden" or not isinstance(member, str) or member not in _BY_MEMBER:
        return "malformed"
    reason = _BY_MEMBER[member]
    if member in ("name_vi", "field_vi") and error["type"] in _PRESENT_BUT_BAD:
        return "invalid_text"
    if member == "fee_vnd" and error["type"] == "greater_than_equal":
        return "negative_fee"
    return reason


def check_item(raw: ProcedureUpsert | dict[str, Any]) -> ProcedureUpsert | Rejection:
    """The item as a procedure, or why it is refused (the reason of its first problem, and every problem)."""
    if isinstance(raw, ProcedureUpsert):
        return raw
    try:
        return ProcedureUpsert.model_validate(raw)
    except ValidationError as invalid:
        problems = invalid.errors(include_url=False, include_input=False)
        errors = [ItemError(pointer=_pointer(error["loc"]), message=error["msg"]) for error in problems]
        return Rejection(reason=_reason(problems[0]), errors=errors)


def item_code(raw: ProcedureUpsert | dict[str, Any]) -> str | None:
    """The code an item carries, as sent (for the answer), when it is text."""
    code = raw.code if isinstance(raw, ProcedureUpsert) else raw.get("code")
    return code[:64] if isinstance(code, str) else None
