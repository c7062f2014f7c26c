"""What the citizen's view of a dossier shows, and what it never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dossiers.citizen.view import mask_name
from dossiers.types import Status
from tests.dossiers.citizen.conftest import Office
from tests.support.dossiers import Step, make_apology

LOOKUP = "/api/v1/dossiers/lookup"
PHONE = "+84912345678"
ID_NUMBER = "036190001234"


async def _view(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await client.post(LOOKUP, json={"code": code, "factor": "5678"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("  trần   thị   bích   ngọc ", "trần T. B. N."),
        ("Đặng Ánh", "Đặng Á."),
        ("Lan", "L."),
        ("", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


async def test_the_view_shows_the_dossier_and_no_identity(client: httpx.AsyncClient, office: Office) -> None:
    received = datetime(2025, 4, 24, 2, 0, tzinfo=UTC)
    dossier = await office.dossier(
        status=Status.IN_PROCESS,
        applicant_phone=PHONE,
        id_number=ID_NUMBER,
        received_at=received,
        due_at=received + timedelta(days=4),
        steps=[
            Step(Status.ACCEPTED, received, comment="Đủ giấy tờ"),
            Step(Status.IN_PROCESS, received + timedelta(hours=2), public=False, unit_name="Phòng nội bộ"),
            Step(Status.IN_PROCESS, received + timedelta(hours=3), unit_name="Phòng Kinh tế"),
        ],
    )
    view = await _view(client, dossier.code)
    assert view["procedure"] == {
        "code": office.procedure.code,
        "name": {"vi": "Đăng ký thành lập hộ kinh doanh", "en": "Registering a household business"},
    }
    assert view["agency"]["code"] == office.agency.code
    assert view["applicant_name"] == "Nguyễn V. A."
    assert view["channel"] == "in_person"
    assert view["status"] == {"code": 4, "name": {"vi": "Đang xử lý", "en": "In process"}}
    assert view["received_at"] == "2025-04-24T02:00:00Z"
    assert view["due_at"] == "2025-04-28T02:00:00Z"
    assert view["finished_at"] is None
    assert view["returned_at"] is None
    # Long past its due date and still open.
    assert view["on_time"] == "overdue"
    assert view["next_action"] is None
    # Only the steps meant for her, oldest first, naming the office and never the officer.
    assert [(step["status"]["code"], step["unit_name"]) for step in view["timeline"]] == [
        (2, "Bộ phận một cửa"),
        (4, "Phòng Kinh tế"),
    ]
    assert view["timeline"][0]["comment"] == "Đủ giấy tờ"
    assert set(view["timeline"][0]) == {"status", "at", "unit_name", "comment"}
    text = str(view)
    for secret in (PHONE, "912345678", ID_NUMBER, "Nguyễn Văn An", "Trần Thị Cán Bộ", "Phòng nội bộ"):
        assert secret not in text
    assert dossier.applicant_id_hash is not None
    assert dossier.applicant_id_hash not in text
    assert dossier.id_suffix_hash is not None
    assert dossier.id_suffix_hash not in text
    assert str(dossier.id) not in text


async def test_an_open_dossier_within_its_deadline(client: httpx.AsyncClient, office: Office) -> None:
    now = datetime.now(UTC)
    dossier = await office.dossier(received_at=now - timedelta(hours=1), due_at=now + timedelta(days=20))
    assert (await _view(client, dossier.code))["on_time"] == "within_deadline"


async def test_a_finished_dossier_is_judged_against_its_first_due_date_despite_an_apology(
    client: httpx.AsyncClient, office: Office
) -> None:
    received = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    first_due = received + timedelta(days=3)
    new_due = received + timedelta(days=10)
    dossier = await office.dossier(
        status=Status.RESULT_RETURNED,
        received_at=received,
        due_at=new_due,
        original_due_at=first_due,
        finished_at=received + timedelta(days=6),
        returned_at=received + timedelta(days=7),
    )
    await make_apology(office.session, dossier, new_due_at=new_due)
    view = await _view(client, dossier.code)
    assert view["on_time"] == "late"
    assert view["due_at"] == "2025-03-13T02:00:00Z"
    assert view["original_due_at"] == "2025-03-06T02:00:00Z"
    assert view["returned_at"] == "2025-03-10T02:00:00Z"
    [apology] = view["apologies"]
    assert apology["reason"] == {"vi": "Hồ sơ phức tạp", "en": "A complex dossier"}
    assert apology["new_due_at"] == "2025-03-13T02:00:00Z"


async def test_more_documents_says_what_to_bring_and_stops_the_clock(
    client: httpx.AsyncClient, office: Office
) -> None:
    dossier = await office.dossier(
        status=Status.MORE_DOCUMENTS,
        due_at=None,
        paused_at=datetime.now(UTC),
        next_action={
            "documents": [
                "Bản sao CCCD",
                {"name_vi": "Giấy xác nhận cư trú", "name_en": "Proof of residence"},
            ],
            "note_vi": "Nộp trước ngày 30/4",
            "note_en": "Bring them before 30 April",
        },
    )
    view = await _view(client, dossier.code)
    assert view["clock_stopped"] is True
    assert view["on_time"] is None
    assert view["due_at"] is None
    action = view["next_action"]
    assert action["kind"] == "bring_documents"
    assert [document["name"] for document in action["documents"]] == [
        {"vi": "Bản sao CCCD", "en": "Bản sao CCCD"},
        {"vi": "Giấy xác nhận cư trú", "en": "Proof of residence"},
    ]
    assert action["note"] == {"vi": "Nộp trước ngày 30/4", "en": "Bring them before 30 April"}
    assert "UBND phường Nam Định" in action["text"]["vi"]
    assert "one-stop office" in action["text"]["en"]


async def test_a_fee_due_says_how_much(client: httpx.AsyncClient, office: Office) -> None:
    dossier = await office.dossier(status=Status.FEE_DUE, next_action={"fee_vnd": 1_500_000})
    action = (await _view(client, dossier.code))["next_action"]
    assert action["kind"] == "pay_fee"
    assert action["fee_vnd"] == 1_500_000
    assert "1.500.000 đồng" in action["text"]["vi"]
    assert "1,500,000 VND" in action["text"]["en"]


async def test_a_result_ready_says_to_come_and_collect_it(client: httpx.AsyncClient, office: Office) -> None:
    dossier = await office.dossier(status=Status.RESULT_READY)
    view = await _view(client, dossier.code)
    assert view["next_action"]["kind"] == "collect_result"
    assert "nhận kết quả" in view["next_action"]["text"]["vi"]
    assert view["on_time"] in ("early", "on_time")
