"""Who hears about a report's changes, and what the notification says."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message
from core.identity.principal import Role
from feedback.reports.access import get_report
from feedback.reports.notify import notify_people
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import post
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def test_a_rejection_is_pushed_in_both_languages_to_each_person_once(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, follower = await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=reporter)
    # The reporter follows their own report too: still one notification.
    await seen.follow(session, report.id, reporter.id, follower.id)
    response = await post(client, report.id, "reject", officer.headers, {"reason": "Không thuộc thẩm quyền"})
    assert response.status_code == 200, response.text

    pushed = await seen.pushes(session, report.id)
    assert sorted(p["user_id"] for p in pushed) == sorted([reporter.id, follower.id])
    for push in pushed:
        assert push["title_vi"] == f"Phản ánh {report.code}"
        assert push["title_en"] == f"Report {report.code}"
        assert push["body_vi"] == f"Phản ánh {report.code} đã bị từ chối"
        assert push["body_en"] == f"Report {report.code} has been rejected"
        assert push["data"] == {"report_id": str(report.id), "code": report.code, "status": "rejected"}


async def test_the_person_who_acted_is_never_notified(session: AsyncSession, person: PersonFactory) -> None:
    reporter, follower = await person(), await person()
    report = await insert_report(session, reporter=reporter)
    await seen.follow(session, report.id, follower.id)
    loaded = await get_report(session, report.id)
    sent = await notify_people(session, loaded, body=Message("a", "b"), actor_id=follower.id)
    assert sent == 1
    assert await seen.pushed_users(session, report.id) == [reporter.id]


async def test_an_anonymous_open311_report_without_reporter_notifies_only_followers(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    follower = await person()
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=None)
    await seen.follow(session, report.id, follower.id)
    assert (await post(client, report.id, "accept", officer.headers)).status_code == 200
    assert await seen.pushed_users(session, report.id) == [follower.id]
