"""Reading a batch's items one by one, the checks that need no database, and the per-item results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from core.errors import Message
from dossiers.models import Agency
from dossiers.sync.codes import local_day, parse_code
from dossiers.sync.lifecycle import FUTURE_TOLERANCE
from dossiers.sync.schemas import (
    ITEM,
    ITEMS,
    ApologyItem,
    Detail,
    DossierItem,
    ItemError,
    ItemResult,
    Outcome,
    Reason,
    StatusItem,
)
from dossiers.types import STATUS_NAMES, Status

Item = DossierItem | StatusItem | ApologyItem


def parse(raw: Sequence[Any]) -> tuple[list[tuple[int, Item]], list[ItemResult]]:
    """The valid items with their index, and a `malformed` result for each of the others.

    The whole list is validated at once first, the common case of a good batch; only when that fails is
    each item validated on its own, to tell which ones are bad and keep the rest.
    """
    try:
        return list(enumerate(ITEMS.validate_python(raw))), []
    except ValidationError:
        pass
    valid: list[tuple[int, Item]] = []
    malformed: list[ItemResult] = []
    for index, value in enumerate(raw):
        try:
            valid.append((index, ITEM.validate_python(value)))
        except ValidationError as error:
            malformed.append(_malformed(index, value, error))
    return valid, malformed


def _malformed(index: int, value: Any, error: ValidationError) -> ItemResult:
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    code = value.get("code") if isinstance(value, dict) else None
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "item"
    return ItemResult(
        index=index,
        code=code if isinstance(code, str) and len(code) <= 64 else None,
        result=Outcome.REJECTED,
        reason=Reason.MALFORMED,
        detail=Detail(
            vi=f"Mục không hợp lệ ({where}): {first['msg']}", en=f"Invalid item ({where}): {first['msg']}"
        ),
        errors=[
            ItemError(location=list(problem["loc"]), type=problem["type"], message=problem["msg"])
            for problem in problems
        ],
    )


def rejected(index: int, code: str | None, reason: Reason, message: Message) -> ItemResult:
    return ItemResult(
        index=index, code=code, result=Outcome.REJECTED, reason=reason, detail=Detail.of(message)
    )


def outcome(index: int, code: str, result: Outcome) -> ItemResult:
    return ItemResult(index=index, code=code, result=result)


def moment_of(item: Item) -> datetime:
    """When the item happened, by the agency's clock."""
    if isinstance(item, DossierItem):
        return item.received_at
    if isinstance(item, StatusItem):
        return item.at
    return item.issued_at


def precheck(index: int, item: Item, agency: Agency, now: datetime) -> ItemResult | None:
    """The rejection of an item that fails a check needing no database, None for one that passes."""
    code = parse_code(item.code)
    if code is None:
        return rejected(
            index,
            item.code,
            Reason.BAD_CODE,
            Message(
                "Mã hồ sơ phải có dạng {mã cơ quan}-{YYMMDD}-{NNNN} với một ngày có thật",
                "A dossier code reads {agency code}-{YYMMDD}-{NNNN}, with a real date",
            ),
        )
    if code.agency != agency.code:
        return other_agency(index, item.code, agency)
    if isinstance(item, DossierItem) and code.day != local_day(item.received_at):
        day = local_day(item.received_at).strftime("%y%m%d")
        return rejected(
            index,
            item.code,
            Reason.BAD_CODE,
            Message(
                f"Ngày trong mã hồ sơ phải là ngày tiếp nhận ({day})",
                f"The date in the code must be the day of receipt ({day})",
            ),
        )
    if moment_of(item) > now + FUTURE_TOLERANCE:
        return rejected(
            index,
            item.code,
            Reason.IN_FUTURE,
            Message("Thời điểm cập nhật ở tương lai", "The update is dated in the future"),
        )
    return None


def other_agency(index: int, code: str, agency: Agency) -> ItemResult:
    return rejected(
        index,
        code,
        Reason.OTHER_AGENCY,
        Message(
            f"Hồ sơ này không thuộc cơ quan {agency.code}",
            f"This dossier does not belong to agency {agency.code}",
        ),
    )


def unknown_procedure(index: int, item: DossierItem) -> ItemResult:
    return rejected(
        index,
        item.code,
        Reason.UNKNOWN_PROCEDURE,
        Message(
            f"Không có thủ tục mã {item.procedure_code}", f"No procedure has the code {item.procedure_code}"
        ),
    )


def unknown_unit(index: int, item: DossierItem) -> ItemResult:
    return rejected(
        index,
        item.code,
        Reason.UNKNOWN_UNIT,
        Message(f"Không có đơn vị hành chính mã {item.unit_code}", f"No unit has the code {item.unit_code}"),
    )


def unknown_dossier(index: int, code: str) -> ItemResult:
    return rejected(
        index,
        code,
        Reason.UNKNOWN_DOSSIER,
        Message(
            "Chưa có hồ sơ với mã này: hãy gửi hồ sơ trước",
            "No dossier has this code: send the dossier first",
        ),
    )


def refused_step(index: int, code: str, reason: str, current: Status, target: Status) -> ItemResult:
    """The result of a step that lifecycle.step_refusal refused."""
    if reason == "stale":
        return ItemResult(
            index=index,
            code=code,
            result=Outcome.STALE,
            detail=Detail(
                vi="Cập nhật cũ hơn trạng thái hiện tại của hồ sơ, không áp dụng",
                en="The update is older than the dossier's current status; not applied",
            ),
        )
    if reason == "before_receipt":
        return before_receipt(index, code)
    vi_from, en_from = STATUS_NAMES[current]
    vi_to, en_to = STATUS_NAMES[target]
    return rejected(
        index,
        code,
        Reason.ILLEGAL_TRANSITION,
        Message(
            f"Không thể chuyển từ “{vi_from}” ({current.value}) sang “{vi_to}” ({target.value})",
            f"Cannot move from “{en_from}” ({current.value}) to “{en_to}” ({target.value})",
        ),
    )


def before_receipt(index: int, code: str) -> ItemResult:
    return rejected(
        index,
        code,
        Reason.BEFORE_RECEIPT,
        Message(
            "Thời điểm cập nhật trước khi tiếp nhận hồ sơ", "The update is dated before the dossier's receipt"
        ),
    )


def not_late(index: int, code: str) -> ItemResult:
    return rejected(
        index,
        code,
        Reason.NOT_LATE,
        Message(
            "Hồ sơ không trễ hạn (cũng không sắp đến hạn mà chưa xong): không cần thư xin lỗi",
            "The dossier is neither late nor about to be: no apology is due",
        ),
    )
