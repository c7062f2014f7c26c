"""Updates and cancellations are new CAP messages whose references name every earlier message of the chain;
the warning is always its newest message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.push.repository import notifications
from core.settings import Settings
from ioc.warnings import service
from ioc.warnings.schemas import WarningIn
from tests.ioc.warnings.conftest import (
    CAP,
    WARNINGS,
    CapCheck,
    Follower,
    iso,
    publish,
    warning_body,
)
from tests.support.people import Person


async def _cap(client: httpx.AsyncClient, warning: dict[str, Any], valid_cap: CapCheck) -> Any:
    response = await client.get(warning["cap_url"])
    assert response.status_code == 200
    return valid_cap(response.content)


def _triple(alert: Any) -> str:
    return ",".join(alert.findtext(f"{CAP}{name}") for name in ("sender", "identifier", "sent"))


async def test_an_update_is_a_new_message_referencing_the_alert(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    first = (await publish(client, officer)).json()
    alert = await _cap(client, first, valid_cap)
    changed = warning_body(severity="Extreme", headline={"vi": "Ngập rất sâu", "en": "Very deep flooding"})

    response = await client.put(f"{WARNINGS}/{first['id']}", json=changed, headers=officer.headers)

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == first["id"]
    assert updated["identifier"] != first["identifier"]
    assert (updated["msg_type"], updated["severity"], updated["headline"]["en"]) == (
        "Update",
        "Extreme",
        "Very deep flooding",
    )
    assert [m["identifier"] for m in updated["messages"]] == [first["identifier"], updated["identifier"]]
    update = await _cap(client, updated, valid_cap)
    assert update.findtext(f"{CAP}msgType") == "Update"
    assert update.findtext(f"{CAP}references") == _triple(alert)
    assert (await client.get(f"{WARNINGS}/{first['id']}")).json()["identifier"] == updated["identifier"]


async def test_a_cancel_references_every_earlier_message_and_ends_the_warning(
    client: httpx.AsyncClient, officer: Person, valid_cap: CapCheck
) -> None:
    first = (await publish(client, officer)).json()
    alert = await _cap(client, first, valid_cap)
    updated = (
        await client.put(f"{WARNINGS}/{first['id']}", json=warning_body(), headers=officer.headers)
    ).json()
    update = await _cap(client, updated, valid_cap)

    response = await client.post(f"{WARNINGS}/{first['id']}/cancel", headers=officer.headers)

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert (cancelled["msg_type"], cancelled["state"]) == ("Cancel", "cancelled")
    assert [m["msg_type"] for m in cancelled["messages"]] == ["Alert", "Update", "Cancel"]
    cancel = await _cap(client, cancelled, valid_cap)
    assert cancel.findtext(f"{CAP}msgType") == "Cancel"
    assert cancel.findtext(f"{CAP}references").split(" ") == [_triple(alert), _triple(update)]
    # The cancellation repeats what it cancels, so a reader knows what ended.
    assert cancel.find(f"{CAP}info").findtext(f"{CAP}headline") == first["headline"]["vi"]
    listed = (await client.get(WARNINGS)).json()["items"]
    assert first["id"] not in [item["id"] for item in listed]
    assert (await client.get(f"{WARNINGS}/{first['id']}")).json()["state"] == "cancelled"


async def test_an_update_tells_the_wards_it_left_and_those_it_reached(
    client: httpx.AsyncClient, officer: Person, follower: Follower, session: AsyncSession
) -> None:
    left = await follower(["13666"])
    reached = await follower(["13684"])
    warning = (await publish(client, officer)).json()

    await client.put(
        f"{WARNINGS}/{warning['id']}",
        json=warning_body(area={"ward_codes": ["13684"]}),
        headers=officer.headers,
    )

    rows = (await session.execute(select(notifications).order_by(notifications.c.created_at))).all()
    told = [(row.user_id, row.data["msg_type"]) for row in rows]
    assert sorted(told) == sorted([(left.id, "Alert"), (left.id, "Update"), (reached.id, "Update")])
    update = next(row for row in rows if row.data["msg_type"] == "Update")
    assert update.title_en == "Update: " + warning["headline"]["en"]


async def test_a_cancellation_is_pushed_quietly(
    client: httpx.AsyncClient, officer: Person, follower: Follower, session: AsyncSession
) -> None:
    await follower(["13666"])
    warning = (await publish(client, officer)).json()

    await client.post(f"{WARNINGS}/{warning['id']}/cancel", headers=officer.headers)

    [cancel] = (
        await session.execute(
            select(notifications).where(notifications.c.data["msg_type"].astext == "Cancel")
        )
    ).all()
    assert cancel.high_priority is False
    assert cancel.body_en == "This warning has been cancelled."
    assert cancel.title_vi == "Đã hủy: " + warning["headline"]["vi"]


async def test_an_expired_warning_may_be_extended(
    client: httpx.AsyncClient, officer: Person, session: AsyncSession, settings: Settings
) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    old = warning_body(onset=iso(yesterday), expires=iso(yesterday + timedelta(hours=2)))
    published = await service.publish(
        session,
        officer.principal,
        WarningIn.model_validate(old),
        sender=settings.ioc_warnings_sender,
        now=yesterday,
    )
    assert (await client.get(f"{WARNINGS}/{published.id}")).json()["state"] == "expired"

    response = await client.put(
        f"{WARNINGS}/{published.id}",
        json=warning_body(onset=iso(yesterday)),
        headers=officer.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "in_effect"
    listed = [item["id"] for item in (await client.get(WARNINGS)).json()["items"]]
    assert str(published.id) in listed
