"""GET /api/v1/procedures/{code} and /api/v1/procedure-fields: the deadline, fee and online level in words."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from dossiers.catalogue import wording
from dossiers.deadlines import DeadlineKind
from tests.dossiers.catalogue.conftest import AddProcedures, procedure

CODE = "2.000884.000.00.00.H40"


async def test_one_procedure_with_documents_fee_deadline_and_online_level(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure(
            CODE,
            "Chứng thực chữ ký trong các giấy tờ, văn bản",
            name_en="Authentication of a signature",
            field_vi="Chứng thực",
            field_en="Authentication",
            deadline={"kind": "working_hours", "amount": 4},
            fee_vnd=10000,
            fee_note_vi="10.000 đồng/trường hợp",
            online_level="partial",
            documents=[
                {"name_vi": "Giấy tờ cần chứng thực chữ ký", "copies": 2},
                {"name_vi": "Căn cước công dân", "name_en": "Citizen ID card", "original": True},
            ],
            resume_after_request=True,
        )
    )

    response = await client.get(f"/api/v1/procedures/{CODE.lower()}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == CODE
    assert body["deadline"] == {
        "kind": "working_hours",
        "amount": 4,
        "text_vi": "4 giờ làm việc",
        "text_en": "4 working hours",
    }
    assert body["fee"] == {
        "amount_vnd": 10000,
        "text_vi": "10.000 đồng",
        "text_en": "10,000 VND",
        "note_vi": "10.000 đồng/trường hợp",
        "note_en": None,
    }
    assert body["online"] == {
        "level": "partial",
        "text_vi": "Dịch vụ công trực tuyến một phần",
        "text_en": "Partly online",
    }
    assert body["documents"] == [
        {"name_vi": "Giấy tờ cần chứng thực chữ ký", "name_en": None, "copies": 2, "original": False},
        {"name_vi": "Căn cước công dân", "name_en": "Citizen ID card", "copies": 1, "original": True},
    ]
    assert (body["resume_after_request"], body["active"], body["level"]) == (True, True, "commune")
    assert response.headers["cache-control"] == "public, max-age=60"
    again = await client.get(
        f"/api/v1/procedures/{CODE}", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_a_withdrawn_procedure_is_still_readable_by_code(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(procedure(CODE, "Chứng thực chữ ký", active=False))

    response = await client.get(f"/api/v1/procedures/{CODE}")

    assert response.status_code == 200
    assert response.json()["active"] is False


async def test_an_unknown_code_is_404_and_a_malformed_one_422(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/api/v1/procedures/{CODE}")
    malformed = await client.get("/api/v1/procedures/BTP-NDI-277140")

    assert missing.status_code == 404
    assert missing.json()["code"] == "procedure_not_found"
    assert malformed.status_code == 422


@pytest.mark.parametrize(
    ("kind", "amount", "vi", "en"),
    [
        (DeadlineKind.WORKING_DAYS, Decimal(3), "3 ngày làm việc", "3 working days"),
        (DeadlineKind.WORKING_DAYS, Decimal("1.00"), "1 ngày làm việc", "1 working day"),
        (DeadlineKind.WORKING_HOURS, Decimal("4.50"), "4,5 giờ làm việc", "4.5 working hours"),
        (DeadlineKind.WORKING_HOURS, Decimal(1), "1 giờ làm việc", "1 working hour"),
        (DeadlineKind.CALENDAR_DAYS, Decimal(30), "30 ngày (tính cả ngày nghỉ)", "30 calendar days"),
        (DeadlineKind.CALENDAR_DAYS, Decimal(100), "100 ngày (tính cả ngày nghỉ)", "100 calendar days"),
        (DeadlineKind.SAME_DAY, Decimal(0), "Trong ngày", "Same day"),
    ],
)
def test_deadline_wording(kind: DeadlineKind, amount: Decimal, vi: str, en: str) -> None:
    worded = wording.deadline(kind, amount)

    assert (worded.text_vi, worded.text_en) == (vi, en)


def test_fee_wording() -> None:
    assert (wording.fee(None, None, None).text_vi, wording.fee(None, None, None).text_en) == (
        "Không thu phí",
        "No fee",
    )
    assert wording.fee(1_200_000, None, None).text_vi == "1.200.000 đồng"
    assert wording.fee(1_200_000, None, None).text_en == "1,200,000 VND"


async def test_fields_are_distinct_counted_and_in_folded_alphabetical_order(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure("1.000001.000.00.00.H40", "Đăng ký khai sinh", field_vi="Hộ tịch", field_en="Civil status"),
        procedure("1.000002.000.00.00.H40", "Đăng ký kết hôn", field_vi="Hộ tịch", field_en=None),
        procedure("1.000003.000.00.00.H40", "Cấp giấy phép", field_vi="Đất đai", field_en="Land"),
        procedure("1.000004.000.00.00.H40", "Chứng thực", field_vi="Chứng thực", field_en="Authentication"),
        procedure("1.000005.000.00.00.H40", "Bỏ", field_vi="Lĩnh vực cũ", active=False),
    )

    response = await client.get("/api/v1/procedure-fields")

    assert response.status_code == 200
    assert response.json() == [
        {"field_vi": "Chứng thực", "field_en": "Authentication", "procedures": 1},
        {"field_vi": "Đất đai", "field_en": "Land", "procedures": 1},
        {"field_vi": "Hộ tịch", "field_en": "Civil status", "procedures": 2},
    ]
    assert "etag" in response.headers
