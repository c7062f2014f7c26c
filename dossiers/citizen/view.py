"""The citizen's view of a dossier, made from the one row the repository reads.

Only what the applicant may see is copied over: the office of each public step but never its officer, the
applicant's name masked, and nothing of her phone or ID number. What she must do next is written out in
Vietnamese and English from the agency's `next_action` and the status.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from core.calendar import WorkingCalendar
from dossiers.citizen.schemas import (
    AgencyRef,
    ApologyRead,
    DocumentToBring,
    DossierView,
    MyDossierSummary,
    MyDossierView,
    NextAction,
    ProcedureRef,
    RatingRead,
    StatusRead,
    StepRead,
    Texts,
)
from dossiers.deadlines import OnTime, classify
from dossiers.types import STATUS_NAMES, Channel, Rating, Status


def mask_name(name: str) -> str:
    """ "Nguyễn Văn An" as "Nguyễn V. A.": the family name, which a great many people share, and initials,
    so that a code and four digits never reveal a whole name. A one-word name keeps only its initial."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    initials = [f"{word[0].upper()}." for word in words[1:]]
    first = words[0] if initials else f"{words[0][0].upper()}."
    return " ".join([first, *initials])


def status_read(code: int) -> StatusRead:
    vi, en = STATUS_NAMES[Status(code)]
    return StatusRead(code=code, name=Texts(vi=vi, en=en))


def _texts(vi: str | None, en: str | None) -> Texts:
    # English is optional in the agencies' data; the Vietnamese text stands in for it.
    return Texts(vi=vi or en or "", en=en or vi or "")


def on_time_state(row: Any, calendar: WorkingCalendar, now: datetime) -> OnTime | None:
    """Against the first due date (an apology's new date does not make a late dossier on time); none while
    the clock is stopped, unless a second request for documents made it late already."""
    stopped = row.paused_at is not None and row.finished_at is None
    due = row.original_due_at or row.due_at
    if due is None or (stopped and not row.forced_late):
        return None
    return classify(calendar, due, finished_at=row.finished_at, now=now, forced_late=row.forced_late)


def _vnd(amount: int) -> Texts:
    return Texts(vi=f"{amount:,}".replace(",", ".") + " đồng", en=f"{amount:,} VND")


def _documents(raw: Any) -> list[DocumentToBring]:
    # Agencies send names as text, or as {"name_vi", "name_en"}.
    found: list[DocumentToBring] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str) and item.strip():
            found.append(DocumentToBring(name=_texts(item, None)))
        elif isinstance(item, dict) and (item.get("name_vi") or item.get("name_en")):
            found.append(DocumentToBring(name=_texts(item.get("name_vi"), item.get("name_en"))))
    return found


def next_action(row: Any) -> NextAction | None:
    """What she must do now: bring documents (5), pay the fee (6), collect the result (9); nothing else."""
    status = Status(row.status)
    action: dict[str, Any] = row.next_action if isinstance(row.next_action, dict) else {}
    note = _texts(action.get("note_vi"), action.get("note_en")) if action.get("note_vi") else None
    agency = _texts(row.agency_name_vi, row.agency_name_en)
    if status is Status.MORE_DOCUMENTS:
        return NextAction(
            kind="bring_documents",
            text=Texts(
                vi=f"Bổ sung các giấy tờ dưới đây tại bộ phận một cửa của {agency.vi}.",
                en=f"Bring the documents below to the one-stop office of {agency.en}.",
            ),
            documents=_documents(action.get("documents")),
            fee_vnd=None,
            note=note,
        )
    if status is Status.FEE_DUE:
        fee = action.get("fee_vnd")
        amount = fee if isinstance(fee, int) and not isinstance(fee, bool) and fee >= 0 else None
        words = _vnd(amount) if amount is not None else Texts(vi="phí, lệ phí", en="the fee")
        return NextAction(
            kind="pay_fee",
            text=Texts(
                vi=f"Nộp {words.vi} cho {agency.vi} để hồ sơ được tiếp tục xử lý.",
                en=f"Pay {words.en} to {agency.en} so that the dossier goes on.",
            ),
            documents=[],
            fee_vnd=amount,
            note=note,
        )
    if status is Status.RESULT_READY:
        return NextAction(
            kind="collect_result",
            text=Texts(
                vi=f"Mang giấy tiếp nhận hồ sơ và giấy tờ tùy thân đến bộ phận một cửa của {agency.vi} "
                "để nhận kết quả.",
                en=f"Bring the receipt and your ID to the one-stop office of {agency.en} to collect the "
                "result.",
            ),
            documents=[],
            fee_vnd=None,
            note=note,
        )
    return None


def _view_fields(row: Any, calendar: WorkingCalendar, now: datetime) -> dict[str, Any]:
    return {
        "code": row.code,
        "procedure": ProcedureRef(
            code=row.procedure_code, name=_texts(row.procedure_name_vi, row.procedure_name_en)
        ),
        "agency": AgencyRef(code=row.agency_code, name=_texts(row.agency_name_vi, row.agency_name_en)),
        "applicant_name": mask_name(row.applicant_name),
        "channel": Channel(row.channel),
        "status": status_read(row.status),
        "received_at": row.received_at,
        "due_at": row.due_at,
        "original_due_at": row.original_due_at,
        "finished_at": row.finished_at,
        "returned_at": row.returned_at,
        "on_time": on_time_state(row, calendar, now),
        "clock_stopped": row.paused_at is not None and row.finished_at is None,
        "timeline": [
            StepRead(
                status=status_read(step["status"]),
                at=step["at"],
                unit_name=step["unit_name"],
                comment=step["comment"],
            )
            for step in row.steps
        ],
        "apologies": [
            ApologyRead(
                reason=_texts(apology["reason_vi"], apology["reason_en"]),
                new_due_at=apology["new_due_at"],
                issued_at=apology["issued_at"],
            )
            for apology in row.apologies
        ],
        "next_action": next_action(row),
    }


def dossier_view(row: Any, calendar: WorkingCalendar, now: datetime) -> DossierView:
    return DossierView(**_view_fields(row, calendar, now))


def my_dossier_view(
    row: Any, calendar: WorkingCalendar, now: datetime, *, following: bool | None = None
) -> MyDossierView:
    """Her view; `following` overrides the row's flag after she followed the dossier in this request."""
    rating = (
        RatingRead(rating=Rating(row.rating), comment=row.rating_comment, created_at=row.rated_at)
        if row.rating is not None
        else None
    )
    return MyDossierView(
        **_view_fields(row, calendar, now),
        linked=row.linked,
        following=row.following if following is None else following,
        rating=rating,
    )


def my_dossier_summary(row: Any, calendar: WorkingCalendar, now: datetime) -> MyDossierSummary:
    return MyDossierSummary(
        code=row.code,
        procedure=ProcedureRef(
            code=row.procedure_code, name=_texts(row.procedure_name_vi, row.procedure_name_en)
        ),
        status=status_read(row.status),
        received_at=row.received_at,
        due_at=row.due_at,
        finished_at=row.finished_at,
        on_time=on_time_state(row, calendar, now),
        linked=row.linked,
        following=row.following,
    )
