"""Merging a duplicate report into another: people move, counts follow, both timelines tell it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import post, problem
from tests.feedback.support import OTHER_WARD, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def _people(session: AsyncSession, table: str, report_id: uuid.UUID) -> set[uuid.UUID]:
    query = {
        "followers": "SELECT user_id FROM feedback_followers WHERE report_id = :r",
        "supports": "SELECT user_id FROM feedback_supports WHERE report_id = :r",
    }[table]
    rows = await session.execute(text(query), {"r": report_id})
    return {r.user_id for r in rows}


async def test_merge_moves_followers_and_supporters_to_the_target(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    source_reporter, target_reporter = await person(), await person()
    both, only_source, only_target = await person(), await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    source = await insert_report(session, reporter=source_reporter, status=ReportStatus.SUBMITTED)
    target = await insert_report(session, reporter=target_reporter, status=ReportStatus.ASSIGNED)
    await seen.follow(session, source.id, both.id, only_source.id)
    await seen.follow(session, target.id, both.id, only_target.id)
    await seen.support(session, source.id, both.id, only_source.id)
    await seen.support(session, target.id, both.id)

    response = await post(
        client,
        source.id,
        "merge",
        officer.headers,
        {"into_report_id": str(target.id), "reason": "Cùng một ổ gà"},
    )
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["status"] == "closed"
    assert read["close_reason"] == "merged"
    assert read["merged_into_code"] == target.code
    assert read["follower_count"] == 0
    assert read["support_count"] == 0

    assert await _people(session, "followers", target.id) == {
        both.id,
        only_source.id,
        only_target.id,
        source_reporter.id,
    }
    assert await _people(session, "supports", target.id) == {both.id, only_source.id}
    assert await _people(session, "followers", source.id) == set()
    target_row = await seen.row(session, target.id)
    assert target_row["follower_count"] == 4
    assert target_row["support_count"] == 2
    assert target_row["status"] == "assigned"
    source_row = await seen.row(session, source.id)
    assert source_row["merged_into_id"] == str(target.id)
    assert source_row["closed_at"] is not None

    [merged] = await seen.timeline(session, source.id)
    assert (merged["kind"], merged["from_status"], merged["to_status"]) == ("merged", "submitted", "closed")
    assert merged["data"]["into_code"] == target.code
    assert merged["note"] == "Cùng một ổ gà"
    [merged_from] = await seen.timeline(session, target.id)
    assert merged_from["kind"] == "merged_from"
    assert merged_from["data"]["from_code"] == source.code
    assert merged_from["to_status"] is None

    assert [t for t, _ in await seen.events(session, source.id)] == [
        "feedback.status_changed",
        "feedback.merged",
    ]
    # Those who followed the source learn where it went; the officer is not told of their own action.
    assert sorted(await seen.pushed_users(session, source.id)) == sorted(
        [source_reporter.id, both.id, only_source.id]
    )
    assert await seen.pushed_users(session, target.id) == []


async def test_merge_refusals_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    citizen = await person()
    source = await insert_report(session, reporter=citizen)
    closed = await insert_report(session, reporter=await person(), status=ReportStatus.REJECTED)
    elsewhere = await insert_report(
        session, reporter=await person(), unit_code=OTHER_WARD, ward_code=OTHER_WARD
    )
    before = [await seen.state(session, r.id) for r in (source, closed, elsewhere)]

    def merge_into(target: uuid.UUID) -> dict[str, str]:
        return {"into_report_id": str(target), "reason": "Trùng"}

    problem(
        await post(client, source.id, "merge", officer.headers, merge_into(source.id)), 422, "invalid_merge"
    )
    problem(
        await post(client, source.id, "merge", officer.headers, merge_into(closed.id)), 409, "invalid_merge"
    )
    problem(
        await post(client, closed.id, "merge", officer.headers, merge_into(source.id)), 409, "invalid_merge"
    )
    problem(
        await post(client, source.id, "merge", officer.headers, merge_into(elsewhere.id)), 403, "outside_unit"
    )
    problem(
        await post(client, source.id, "merge", officer.headers, merge_into(uuid.uuid4())),
        404,
        "report_not_found",
    )
    problem(await post(client, source.id, "merge", citizen.headers, merge_into(closed.id)), 403, "forbidden")
    problem(
        await post(client, source.id, "merge", officer.headers, {"into_report_id": "nope", "reason": "x"}),
        422,
        "validation_error",
    )
    assert [await seen.state(session, r.id) for r in (source, closed, elsewhere)] == before


async def _user_ids(session: AsyncSession, table: str, report_id: uuid.UUID) -> set[uuid.UUID]:
    query = {
        "followers": "SELECT user_id FROM feedback_followers WHERE report_id = :r",
        "supports": "SELECT user_id FROM feedback_supports WHERE report_id = :r",
    }[table]
    return {r.user_id for r in await session.execute(text(query), {"r": report_id})}


async def test_merge_into_another_citizens_private_report_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    owner, other, follower = await person(), await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    private_target = await insert_report(
        session, reporter=owner, status=ReportStatus.ACCEPTED, is_public=False
    )
    public_source = await insert_report(session, reporter=other)
    own_public_source = await insert_report(session, reporter=owner)
    await seen.follow(session, public_source.id, follower.id)
    before = {
        r: await seen.state(session, r) for r in (private_target.id, public_source.id, own_public_source.id)
    }

    for source in (public_source, own_public_source):
        body = problem(
            await post(
                client,
                source.id,
                "merge",
                officer.headers,
                {"into_report_id": str(private_target.id), "reason": "Trùng"},
            ),
            422,
            "invalid_merge",
        )
        assert "riêng tư" in body["detail"], body
    assert {r: await seen.state(session, r) for r in before} == before
    assert await _user_ids(session, "followers", private_target.id) == set()


async def test_a_private_report_merges_into_its_reporters_other_private_report(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    owner = await person()
    officer = await person(Role.OFFICER, WARD)
    target = await insert_report(session, reporter=owner, status=ReportStatus.ACCEPTED, is_public=False)
    source = await insert_report(session, reporter=owner, is_public=False)
    response = await post(
        client,
        source.id,
        "merge",
        officer.headers,
        {"into_report_id": str(target.id), "reason": "Gửi hai lần"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["merged_into_code"] == target.code


async def test_the_target_reporters_support_of_the_source_is_not_moved(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    target_reporter, source_reporter, neighbour = await person(), await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    target = await insert_report(session, reporter=target_reporter, status=ReportStatus.ACCEPTED)
    source = await insert_report(session, reporter=source_reporter)
    await seen.support(session, source.id, target_reporter.id, neighbour.id)

    response = await post(
        client,
        source.id,
        "merge",
        officer.headers,
        {"into_report_id": str(target.id), "reason": "Cùng một ổ gà"},
    )
    assert response.status_code == 200, response.text
    assert await _user_ids(session, "supports", target.id) == {neighbour.id}
    assert await _user_ids(session, "supports", source.id) == set()
    assert (await seen.row(session, target.id))["support_count"] == 1
