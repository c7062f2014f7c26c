"""GET /api/v1/procedures: diacritics and case ignored, ranked, filtered, paged with cursors; bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.dossiers.catalogue.conftest import AddProcedures, procedure

URL = "/api/v1/procedures"
H = ".000.00.00.H40"


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


async def all_pages(client: httpx.AsyncClient, **params: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    for _ in range(50):
        response = await client.get(URL, params={**params, **({"cursor": cursor} if cursor else {})})
        found += codes(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the pages never ended")


@pytest.fixture
async def ranked(add_procedures: AddProcedures) -> None:
    await add_procedures(
        procedure("2.000004" + H, "Đăng ký khai sinh"),  # two of the four words
        procedure("2.000003" + H, "Đăng ký thay đổi nội dung kinh doanh"),  # all four, scattered
        procedure("2.000002" + H, "Thủ tục đăng ký kinh doanh qua mạng"),  # the phrase
        procedure("2.000001" + H, "Đăng ký kinh doanh hộ cá thể"),  # the name starts with the query
        procedure("2.000005" + H, "Cấp giấy phép xây dựng"),  # none
    )


@pytest.mark.usefixtures("ranked")
@pytest.mark.parametrize(
    "q", ["dang ky kinh doanh", "Đăng ký kinh doanh", "ĐĂNG KÝ KINH DOANH", "  dang   KY kinh doanh "]
)
async def test_the_query_ignores_diacritics_case_and_spacing_and_ranks_closer_matches_first(
    client: httpx.AsyncClient, q: str
) -> None:
    found = codes(await client.get(URL, params={"q": q}))

    assert found == ["2.000001" + H, "2.000002" + H, "2.000003" + H, "2.000004" + H]


@pytest.mark.usefixtures("ranked")
async def test_the_code_itself_comes_first_in_either_case(client: httpx.AsyncClient) -> None:
    assert codes(await client.get(URL, params={"q": "2.000004.000.00.00.h40"}))[0] == "2.000004" + H


@pytest.mark.usefixtures("ranked")
async def test_words_match_at_the_start_of_a_word_only(client: httpx.AsyncClient) -> None:
    # "an" is inside "thanh" and "doanh", but no word of these procedures starts with it.
    assert codes(await client.get(URL, params={"q": "an"})) == []
    assert codes(await client.get(URL, params={"q": "xay"})) == ["2.000005" + H]


async def test_a_mistyped_query_still_finds_its_procedure(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure("2.000815" + H, "Chứng thực bản sao từ bản chính", field_vi="Chứng thực"),
        procedure("1.001193" + H, "Đăng ký khai sinh"),
    )

    assert codes(await client.get(URL, params={"q": "chungthuc"})) == ["2.000815" + H]


async def test_equal_ranks_are_ordered_by_code_and_pages_follow_the_ranking_exactly(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    # Same names in pairs: equal ranks, which only the code orders.
    names = [
        "Đăng ký khai tử",
        "Đăng ký khai tử",
        "Đăng ký khai sinh",
        "Đăng ký khai sinh",
        "Khai sinh lại",
        "Trích lục khai sinh",
        "Đăng ký lại khai sinh cho người đã có hồ sơ",
    ]
    await add_procedures(*(procedure(f"1.00000{n}" + H, name) for n, name in enumerate(names)))

    whole = codes(await client.get(URL, params={"q": "khai sinh", "limit": 100}))
    paged = await all_pages(client, q="khai sinh", limit=2)

    assert paged == whole
    assert len(whole) == len(set(whole)) == 7
    assert whole[0] == "1.000004" + H  # the name starts with the query
    # Twins: the same rank, in code order.
    assert whole.index("1.000002" + H) + 1 == whole.index("1.000003" + H)
    # "khai tử" has one of the two words: last, and in code order.
    assert whole[-2:] == ["1.000000" + H, "1.000001" + H]


async def test_without_a_query_the_catalogue_is_alphabetical_by_folded_name_in_pages(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure("1.000001" + H, "Xác nhận tình trạng hôn nhân"),
        procedure("1.000002" + H, "Ủy quyền"),
        procedure("1.000003" + H, "Đăng ký khai tử"),
        procedure("1.000004" + H, "Cấp bản sao trích lục"),
        procedure("1.000005" + H, "Ân giảm"),
    )

    # Folded: an giam, cap..., dang..., uy..., xac... (unfolded, Đ, Ủ and Â would sort after X).
    expected = ["1.000005" + H, "1.000004" + H, "1.000003" + H, "1.000002" + H, "1.000001" + H]
    assert codes(await client.get(URL)) == expected
    assert await all_pages(client, limit=2) == expected
    assert await all_pages(client, q="   ", limit=3) == expected


async def test_filters_by_field_level_and_online_level(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure("1.000001" + H, "Đăng ký khai sinh", level="commune", online_level="full"),
        procedure(
            "1.000002" + H,
            "Đăng ký doanh nghiệp",
            field_vi="Đăng ký kinh doanh",
            field_en="Business",
            level="province",
            online_level="full",
        ),
        procedure(
            "1.000003" + H,
            "Đăng ký hộ kinh doanh",
            field_vi="Đăng ký kinh doanh",
            field_en="Business",
            level="commune",
            online_level="partial",
        ),
    )

    assert codes(await client.get(URL, params={"q": "dang ky", "level": "province"})) == ["1.000002" + H]
    assert codes(await client.get(URL, params={"online_level": "partial"})) == ["1.000003" + H]
    by_field = await client.get(URL, params={"field": "Đăng ký kinh doanh"})
    assert sorted(codes(by_field)) == ["1.000002" + H, "1.000003" + H]
    assert codes(await client.get(URL, params={"field": "Business", "level": "commune"})) == ["1.000003" + H]


async def test_withdrawn_procedures_are_not_found(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(
        procedure("1.000001" + H, "Đăng ký khai sinh"),
        procedure("1.000002" + H, "Đăng ký khai sinh cũ", active=False),
    )

    assert codes(await client.get(URL, params={"q": "khai sinh"})) == ["1.000001" + H]
    assert codes(await client.get(URL)) == ["1.000001" + H]


async def test_an_item_carries_the_deadline_fee_and_online_level_in_words(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(procedure("1.000001" + H, "Đăng ký khai sinh", fee_vnd=8000))

    item = (await client.get(URL, params={"q": "khai sinh"})).json()["items"][0]

    assert item["deadline"] == {
        "kind": "working_days",
        "amount": 3,
        "text_vi": "3 ngày làm việc",
        "text_en": "3 working days",
    }
    assert (item["fee"]["text_vi"], item["fee"]["text_en"]) == ("8.000 đồng", "8,000 VND")
    assert item["online"]["level"] == "full"
    assert "documents" not in item


async def test_answers_carry_an_etag_and_a_matching_request_gets_304(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(procedure("1.000001" + H, "Đăng ký khai sinh"))

    first = await client.get(URL, params={"q": "khai sinh"})
    again = await client.get(URL, params={"q": "khai sinh"}, headers={"if-none-match": first.headers["etag"]})
    await add_procedures(procedure("1.000002" + H, "Đăng ký lại khai sinh"))
    changed = await client.get(
        URL, params={"q": "khai sinh"}, headers={"if-none-match": first.headers["etag"]}
    )

    assert first.headers["cache-control"] == "public, max-age=60"
    assert again.status_code == 304
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a" * 201},
        {"q": "!!! ..."},
        {"q": "khai\x00sinh"},
        {"field": "Hộ\x00tịch"},
        {"level": "district"},
        {"online_level": "none"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"cursor": "x" * 1025},
    ],
)
async def test_bad_parameters_are_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get(URL, params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("cursor", ["not-a-cursor", "bm90IGpzb24", "WyJwcm9jZWR1cmVzLnJhbmsiLDEsMl0"])
async def test_a_cursor_not_made_by_this_list_is_refused(client: httpx.AsyncClient, cursor: str) -> None:
    for params in ({"cursor": cursor}, {"q": "khai sinh", "cursor": cursor}):
        response = await client.get(URL, params=params)

        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"


async def test_a_cursor_belongs_to_its_query_and_filters(
    client: httpx.AsyncClient, add_procedures: AddProcedures
) -> None:
    await add_procedures(*(procedure(f"1.00000{n}" + H, f"Đăng ký khai sinh {n}") for n in range(3)))
    cursor = (await client.get(URL, params={"q": "khai sinh", "limit": 1})).json()["next_cursor"]
    assert cursor is not None

    other_query = await client.get(URL, params={"q": "khai tu", "cursor": cursor})
    other_filter = await client.get(URL, params={"q": "khai sinh", "level": "province", "cursor": cursor})
    no_query = await client.get(URL, params={"cursor": cursor})

    assert [r.status_code for r in (other_query, other_filter, no_query)] == [400, 400, 400]
