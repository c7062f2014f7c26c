"""What each kind of dossier change says: the push's kind, title and body in Vietnamese and English, and the
SMS an applicant asked for at the counter.

SMS texts are Vietnamese without diacritics: carriers' brand-name templates are unaccented, and a GSM-7
message holds 160 characters where one with diacritics (UCS-2) holds 70, so an accented text would cost two or
three messages. Each stays within 160 characters with the longest dossier code.
"""

from __future__ import annotations

from enum import StrEnum

from core.calendar import LOCAL_ZONE
from core.errors import Message
from dossiers.changes import ChangeKind, DossierChange
from dossiers.types import STATUS_NAMES, Status

SMS_MAX_LENGTH = 160


class PushKind(StrEnum):
    """`data.kind` of a dossier push (mobile_contract/asyncapi.yaml, DossierPushData)."""

    RECEIVED = "dossier_received"
    STATUS_CHANGED = "dossier_status_changed"
    DOCUMENTS_REQUESTED = "dossier_documents_requested"
    FEE_DUE = "dossier_fee_due"
    RESULT_READY = "dossier_result_ready"
    APOLOGY = "dossier_apology"


_BY_STATUS = {
    Status.MORE_DOCUMENTS: PushKind.DOCUMENTS_REQUESTED,
    Status.FEE_DUE: PushKind.FEE_DUE,
    Status.RESULT_READY: PushKind.RESULT_READY,
}


def push_kind(change: DossierChange) -> PushKind:
    if change.kind is ChangeKind.RECEIVED:
        return PushKind.RECEIVED
    if change.kind is ChangeKind.APOLOGY:
        return PushKind.APOLOGY
    return _BY_STATUS.get(change.status, PushKind.STATUS_CHANGED)


def push_content(change: DossierChange) -> tuple[Message, Message]:
    """The title and body of the push about `change`."""
    code = change.code
    status_vi, status_en = STATUS_NAMES[change.status]
    kind = push_kind(change)
    if kind is PushKind.RECEIVED:
        return (
            Message(f"Hồ sơ {code} đã được tiếp nhận", f"Dossier {code} received"),
            Message(
                f"Trạng thái: {status_vi}. Theo dõi tiến độ hồ sơ trong ứng dụng.",
                f"Status: {status_en}. Follow its progress in the app.",
            ),
        )
    if kind is PushKind.DOCUMENTS_REQUESTED:
        return (
            Message(f"Hồ sơ {code} cần bổ sung giấy tờ", f"Dossier {code} needs more documents"),
            Message(
                "Mở ứng dụng để xem các giấy tờ cần bổ sung và nơi nộp.",
                "Open the app to see which documents to bring, and where.",
            ),
        )
    if kind is PushKind.FEE_DUE:
        return (
            Message(f"Hồ sơ {code} chờ nộp phí", f"Fee due for dossier {code}"),
            Message(
                "Nộp phí, lệ phí để hồ sơ được tiếp tục xử lý.", "Pay the fee so that the dossier goes on."
            ),
        )
    if kind is PushKind.RESULT_READY:
        return (
            Message(f"Hồ sơ {code} đã có kết quả", f"The result of dossier {code} is ready"),
            Message(
                "Mời bạn đến bộ phận một cửa để nhận kết quả.",
                "Come to the one-stop office to collect it.",
            ),
        )
    if kind is PushKind.APOLOGY:
        new_date = f"{change.new_due_at.astimezone(LOCAL_ZONE):%d/%m/%Y}" if change.new_due_at else None
        return (
            Message(f"Thư xin lỗi về hồ sơ {code}", f"An apology about dossier {code}"),
            Message(
                "Hồ sơ bị chậm so với hạn" + (f"; ngày hẹn trả mới: {new_date}." if new_date else "."),
                "The dossier is late" + (f"; new date: {new_date}." if new_date else "."),
            ),
        )
    return (
        Message(f"Hồ sơ {code}: {status_vi}", f"Dossier {code}: {status_en}"),
        Message(
            f"Hồ sơ của bạn chuyển sang trạng thái “{status_vi}”.", f"Your dossier is now “{status_en}”."
        ),
    )


def sms_text(change: DossierChange) -> str | None:
    """The SMS for `change`, if it is one the applicant may ask for: on receipt, on a request for documents,
    on the result being ready."""
    code = change.code
    if change.kind is ChangeKind.RECEIVED:
        return (
            f"SmartCity: Ho so {code} da duoc tiep nhan. Tra cuu bang ma ho so va 4 so cuoi dien thoai "
            "hoac CCCD."
        )
    if change.kind is not ChangeKind.STATUS_CHANGED:
        return None
    if change.status is Status.MORE_DOCUMENTS:
        return f"SmartCity: Ho so {code} can bo sung giay to. Vui long lien he bo phan mot cua noi nop ho so."
    if change.status is Status.RESULT_READY:
        return f"SmartCity: Ho so {code} da co ket qua. Moi ong/ba den bo phan mot cua de nhan ket qua."
    return None
