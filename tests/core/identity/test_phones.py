"""Vietnamese mobile numbers: every way of writing one gives the same E.164 number; the rest is refused."""

from __future__ import annotations

import pytest

from core.errors import ProblemError
from core.identity.phones import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "+84912345678",
        "84912345678",
        "0912 345 678",
        "091.234.5678",
        "091-234-5678",
        "+84 912 345 678",
        "  0912345678  ",
        "+84-91-234-56-78",
    ],
)
def test_the_forms_of_one_number_are_the_same_person(raw: str) -> None:
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0323456789", "+84323456789"),
        ("0523456789", "+84523456789"),
        ("0703456789", "+84703456789"),
        ("0823456789", "+84823456789"),
        ("0987654321", "+84987654321"),
    ],
)
def test_every_mobile_prefix_is_accepted(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "091234567",  # nine digits
        "09123456789",  # eleven digits
        "0212345678",  # a landline prefix (02x)
        "0112345678",
        "0412345678",
        "0612345678",
        "+1 912 345 678",
        "+840912345678",  # the national 0 kept after +84
        "0912345678x",
        "0912/345/678",
        "(091) 2345678",
        "++84912345678",
        "84+912345678",
        "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "０９１２３４５６７８",  # full-width digits
    ],
)
def test_anything_else_is_refused_with_invalid_phone(raw: str) -> None:
    with pytest.raises(ProblemError) as refused:
        normalise_phone(raw)
    assert refused.value.status == 400
    assert refused.value.code == "invalid_phone"
    assert refused.value.detail is not None


def test_a_masked_number_keeps_only_its_ends() -> None:
    assert mask_phone("+84912345678") == "+8491*****78"
    assert "2345" not in mask_phone("+84912345678")
