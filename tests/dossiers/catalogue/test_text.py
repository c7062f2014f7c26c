"""fold(): every Vietnamese vowel with every tone, đ, case and whitespace."""

from __future__ import annotations

import unicodedata

import pytest

from dossiers.catalogue.text import fold, search_text

# Each base vowel (with its shape marks: ă â ê ô ơ ư) and its five tones, then the bare letter they fold to.
VOWELS = {
    "a": "aàáảãạ",
    "ă": "ăằắẳẵặ",
    "â": "âầấẩẫậ",
    "e": "eèéẻẽẹ",
    "ê": "êềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọ",
    "ô": "ôồốổỗộ",
    "ơ": "ơờớởỡợ",
    "u": "uùúủũụ",
    "ư": "ưừứửữự",
    "y": "yỳýỷỹỵ",
}
BARE = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u"}
CASES = [(form, BARE.get(base, base)) for base, forms in VOWELS.items() for form in (*forms, *forms.upper())]


def test_the_table_has_every_vowel_with_every_tone_in_both_cases() -> None:
    assert len(CASES) == 12 * 6 * 2
    assert len({form for form, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("letter", "bare"), CASES)
def test_every_vowel_with_every_tone_folds_to_its_bare_letter(letter: str, bare: str) -> None:
    assert fold(letter) == bare
    # Decomposed input (as some keyboards and systems send it) folds the same way.
    assert fold(unicodedata.normalize("NFD", letter)) == bare


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("đ", "d"),
        ("Đ", "d"),
        ("Đăng ký kinh doanh", "dang ky kinh doanh"),
        ("ĐĂNG KÝ KẾT HÔN", "dang ky ket hon"),
        ("Chứng thực   bản sao\t từ\nbản chính", "chung thuc ban sao tu ban chinh"),
        ("  Hộ tịch  ", "ho tich"),
        ("hoà", "hoa"),  # the old tone placement
        ("hòa", "hoa"),
        ("Nam Định", "nam dinh"),
        ("1.003560.000.00.00.H56", "1.003560.000.00.00.h56"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_search_text_joins_the_code_names_and_field_and_skips_missing_ones() -> None:
    assert (
        search_text("2.000720.000.00.00.H40", "Đăng ký hộ kinh doanh", None, "Đăng ký kinh doanh", "Business")
        == "2.000720.000.00.00.h40 dang ky ho kinh doanh dang ky kinh doanh business"
    )
