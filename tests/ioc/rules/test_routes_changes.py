"""Changing alert rules: new versions and their history, If-Match, the kind that never changes, enabling,
disabling and deleting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from ioc.alarms.models import Alarm
from ioc.rules.models import AlertRuleVersion
from tests.ioc.rules.rules_api import URL, count_rules, create, flood
from tests.support.alarms import make_alarm
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")

CAMERA = {
    "kind": "camera",
    "name": "Cháy / Fire",
    "alarm_type": "fire",
    "detection_types": ["fire"],
    "min_confidence": 0.8,
    "severities": [{"severity": "critical"}],
}


def _at(rule: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(rule["updated_at"])


def _lower(value: float) -> dict[str, Any]:
    return flood(condition={"metric": "level_cm", "op": ">", "value": value})


async def test_a_new_definition_is_the_next_version_and_the_old_one_stays(
    client: AsyncClient, person: PersonFactory
) -> None:
    author, editor = await person(Role.ADMIN), await person(Role.ADMIN)
    rule = await create(client, author.headers, note="Ngưỡng ban đầu")
    url = f"{URL}/{rule['id']}"
    response = await client.put(
        url, json={"definition": _lower(25), "note": "Hạ ngưỡng"}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["current_version"] == 2
    assert response.headers["etag"] == '"v2"'
    assert changed["definition"]["condition"]["value"] == 25
    # Created by its author; updated now.
    assert changed["created_by"] == str(author.id)
    assert changed["created_at"] == rule["created_at"]
    assert _at(changed) > _at(rule)
    assert (await client.get(url, headers=author.headers)).json() == changed

    history = (await client.get(f"{url}/versions", headers=author.headers)).json()
    assert [(item["version"], item["note"], item["created_by"]) for item in history["items"]] == [
        (2, "Hạ ngưỡng", str(editor.id)),
        (1, "Ngưỡng ban đầu", str(author.id)),
    ]
    assert history["next_cursor"] is None
    first = (await client.get(f"{url}/versions/1", headers=author.headers)).json()
    assert first["definition"]["condition"]["value"] == 30
    assert first["definition"] == rule["definition"]
    assert first["rule_id"] == rule["id"]


async def test_history_pages_newest_first(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    url = f"{URL}/{rule['id']}"
    for value in (31, 32, 33, 34):
        assert (
            await client.put(url, json={"definition": _lower(value)}, headers=admin.headers)
        ).status_code == 200
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = (await client.get(f"{url}/versions", params=params, headers=admin.headers)).json()
        seen += [item["version"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]


async def test_a_missing_version_is_404(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    response = await client.get(f"{URL}/{rule['id']}/versions/2", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "rule_version_not_found"


async def test_alarms_keep_the_version_that_raised_them(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    first = await session.get(AlertRuleVersion, (rule["id"], 1))
    assert first is not None
    alarm = await make_alarm(session, first)
    await client.put(f"{URL}/{rule['id']}", json={"definition": _lower(25)}, headers=admin.headers)
    await session.refresh(alarm)
    assert (alarm.rule_id, alarm.rule_version) == (first.rule_id, 1)


async def test_the_kind_cannot_change(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    response = await client.put(f"{URL}/{rule['id']}", json={"definition": CAMERA}, headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "kind_immutable"
    assert await count_rules(session) == (1, 1)
    assert (await client.get(f"{URL}/{rule['id']}", headers=admin.headers)).json() == rule


async def test_an_invalid_new_definition_changes_nothing(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    bad = flood(condition={"metric": "pm25", "op": ">", "value": 50})
    response = await client.put(f"{URL}/{rule['id']}", json={"definition": bad}, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_metric"
    assert await count_rules(session) == (1, 1)
    assert (await client.get(f"{URL}/{rule['id']}", headers=admin.headers)).json() == rule


@pytest.mark.parametrize(
    ("if_match", "accepted"),
    [('"v1"', True), ("*", True), ('"v7", "v1"', True), ('"v2"', False), ('W/"v1"', False), ("v1", False)],
)
async def test_if_match_must_name_the_current_version(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, if_match: str, accepted: bool
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    response = await client.put(
        f"{URL}/{rule['id']}",
        json={"definition": _lower(25)},
        headers={**admin.headers, "If-Match": if_match},
    )
    if accepted:
        assert response.status_code == 200, response.text
        assert response.json()["current_version"] == 2
        return
    # A stale or malformed tag: refused, and nothing changed.
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["current_version"] == 1
    assert await count_rules(session) == (1, 1)


async def test_two_admins_editing_the_same_version_cannot_both_win(
    client: AsyncClient, person: PersonFactory
) -> None:
    first, second = await person(Role.ADMIN), await person(Role.ADMIN)
    rule = await create(client, first.headers)
    url = f"{URL}/{rule['id']}"
    tag = (await client.get(url, headers=second.headers)).headers["etag"]
    won = await client.put(url, json={"definition": _lower(25)}, headers={**first.headers, "If-Match": tag})
    lost = await client.put(url, json={"definition": _lower(40)}, headers={**second.headers, "If-Match": tag})
    assert (won.status_code, lost.status_code) == (200, 412)
    current = (await client.get(url, headers=first.headers)).json()
    assert current["definition"]["condition"]["value"] == 25
    assert current["current_version"] == 2


async def test_disable_and_enable(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    url = f"{URL}/{rule['id']}"
    disabled = await client.post(f"{url}/disable", headers=admin.headers)
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False
    assert disabled.json()["current_version"] == 1
    assert disabled.headers["etag"] == '"v1"'
    assert _at(disabled.json()) > _at(rule)
    # Asking again changes nothing, not even updated_at.
    again = await client.post(f"{url}/disable", headers=admin.headers)
    assert again.json() == disabled.json()
    enabled = await client.post(f"{url}/enable", headers=admin.headers)
    assert enabled.json()["enabled"] is True
    assert _at(enabled.json()) > _at(disabled.json())
    assert (await client.get(url, headers=admin.headers)).json() == enabled.json()


async def test_a_deleted_rule_is_gone_but_its_alarms_keep_naming_it(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    kept = await create(client, admin.headers)
    version = await session.get(AlertRuleVersion, (rule["id"], 1))
    assert version is not None
    alarm = await make_alarm(session, version)
    url = f"{URL}/{rule['id']}"
    response = await client.delete(url, headers=admin.headers)
    assert response.status_code == 204
    assert response.content == b""
    for after in (
        await client.get(url, headers=admin.headers),
        await client.put(url, json={"definition": flood()}, headers=admin.headers),
        await client.post(f"{url}/enable", headers=admin.headers),
        await client.delete(url, headers=admin.headers),
        await client.get(f"{url}/versions/1", headers=admin.headers),
    ):
        assert after.status_code == 404
        assert after.json()["code"] == "rule_not_found"
    listed = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert [item["id"] for item in listed] == [kept["id"]]
    # The rows stay: the alarm still names the rule and the version that raised it.
    assert await count_rules(session) == (2, 2)
    found = await session.get(Alarm, alarm.id, populate_existing=True)
    assert found is not None
    assert (str(found.rule_id), found.rule_version) == (rule["id"], 1)
    deleted_at = await session.scalar(
        text("SELECT deleted_at FROM alert_rules WHERE id = :id"), {"id": rule["id"]}
    )
    assert deleted_at is not None
