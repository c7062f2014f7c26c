"""Documented problem responses: one mapping from several parts."""

from __future__ import annotations

from core.http.responses import UNAUTHENTICATED, problem, responses


def test_parts_merge_and_a_later_part_wins_on_the_same_status() -> None:
    merged = responses(
        UNAUTHENTICATED, problem(404, "first"), problem(404, "No such thing (code thing_not_found)")
    )
    assert sorted(merged) == [401, 404]
    assert merged[404] == {"description": "No such thing (code thing_not_found)"}
    assert "unauthenticated" in merged[401]["description"]


def test_the_parts_are_not_changed_by_merging() -> None:
    part = problem(409, "conflict")
    responses(part, problem(409, "other"))
    assert part == {409: {"description": "conflict"}}
