"""Progress from the field and resolution: the assignee only, photos through the photo pipeline, and the
alarm cleared as resolved."""

from __future__ import annotations

import uuid
from io import BytesIO
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import text

from core.identity.principal import Role
from ioc.alarms import events, journal
from tests.feedback.submission.helpers import has_exif, jpeg_with_gps
from tests.ioc.dispatch.helpers import OTHER_WARD, World
from tests.support.people import Person

PHOTOS = "/api/v1/dispatch/photos"


async def _assigned(client: httpx.AsyncClient, world: World) -> tuple[uuid.UUID, Person]:
    worker = await world.staff(100)
    alarm = await world.alarm()
    await world.react()
    answer = await client.post(f"/api/v1/alerts/{alarm.id}/dispatch/accept", headers=worker.headers)
    assert answer.status_code == 200, answer.text
    return alarm.id, worker


async def post_photo(
    client: httpx.AsyncClient, caller: Person, data: bytes | None = None, content_type: str = "image/jpeg"
) -> httpx.Response:
    files = {"file": ("site.jpg", jpeg_with_gps() if data is None else data, content_type)}
    return await client.post(PHOTOS, files=files, headers=caller.headers)


async def upload(client: httpx.AsyncClient, caller: Person) -> dict[str, Any]:
    answer = await post_photo(client, caller)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_the_assignee_reports_progress_with_a_photo(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, worker = await _assigned(client, world)
    photo = await upload(client, worker)

    answer = await client.post(
        f"/api/v1/alerts/{alarm_id}/progress",
        json={"note": "Đã đến nơi, nước ngập 40 cm", "photo_ids": [photo["id"]]},
        headers=worker.headers,
    )

    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert (note["kind"], note["note"], note["author_id"]) == (
        "progress",
        "Đã đến nơi, nước ngập 40 cm",
        str(worker.id),
    )
    [shown] = note["photos"]
    assert shown["id"] == photo["id"]
    served = await client.get(shown["url"])
    assert served.status_code == 200
    assert not has_exif(served.content)
    with Image.open(BytesIO(served.content)) as image:
        assert image.size == (64, 48)
    [entry] = await world.timeline(alarm_id, journal.PROGRESS)
    assert (entry.actor_id, entry.comment) == (worker.id, "Đã đến nơi, nước ngập 40 cm")
    [event] = await world.events(alarm_id, events.PROGRESS)
    assert event.data["change"]["photos"] == 1
    assert event.data["change"]["progress_id"] == note["id"]

    officer = await world.person(Role.OFFICER, "13666")
    listed = await client.get(f"/api/v1/alerts/{alarm_id}/progress", headers=officer.headers)
    assert [n["id"] for n in listed.json()] == [note["id"]]
    assert listed.json()[0]["photos"][0]["id"] == photo["id"]


async def test_someone_not_assigned_cannot_report(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, _ = await _assigned(client, world)
    colleague = await world.staff(200)
    officer = await world.person(Role.OFFICER, "13666")
    for caller in (colleague, officer):
        for path, body in (("progress", {"note": "Tôi cũng đến"}), ("resolve", {})):
            answer = await client.post(f"/api/v1/alerts/{alarm_id}/{path}", json=body, headers=caller.headers)
            assert answer.status_code == 403, answer.text
            assert answer.json()["code"] == "not_alarm_assignee"
    assert await world.timeline(alarm_id, journal.PROGRESS) == []
    assert (await world.alarm_row(alarm_id)).cleared_at is None


async def test_an_unknown_or_another_units_alarm_is_a_404(client: httpx.AsyncClient, world: World) -> None:
    alarm_id, _ = await _assigned(client, world)
    outsider = await world.staff(100, unit_code=OTHER_WARD)
    for target in (alarm_id, uuid.uuid4()):
        for path, body in (("progress", {"note": "?"}), ("resolve", {})):
            answer = await client.post(f"/api/v1/alerts/{target}/{path}", json=body, headers=outsider.headers)
            assert answer.status_code == 404
            assert answer.json()["code"] == "alarm_not_found"
        listed = await client.get(f"/api/v1/alerts/{target}/progress", headers=outsider.headers)
        assert listed.status_code == 404


async def test_bad_notes_and_photos_are_refused_and_change_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, worker = await _assigned(client, world)
    someone_else = await world.staff(300)
    theirs = await upload(client, someone_else)
    mine = await upload(client, worker)
    path = f"/api/v1/alerts/{alarm_id}/progress"

    for body, code in (
        ({"note": ""}, "validation_error"),
        ({"note": "x" * 2001}, "validation_error"),
        ({}, "validation_error"),
        ({"note": "ok", "photo_ids": [str(uuid.uuid4())]}, "photo_not_found"),
        ({"note": "ok", "photo_ids": [theirs["id"]]}, "photo_not_found"),
        ({"note": "ok", "photo_ids": [mine["id"], mine["id"]]}, "photo_not_found"),
        ({"note": "ok", "photo_ids": [mine["id"]] * 6}, "validation_error"),
    ):
        answer = await client.post(path, json=body, headers=worker.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == code, body
    assert await world.rows("SELECT id FROM dispatch_progress WHERE alarm_id = :a", a=alarm_id) == []
    assert await world.timeline(alarm_id, journal.PROGRESS) == []
    # The photo was not used up by the refused notes.
    fine = await client.post(path, json={"note": "ok", "photo_ids": [mine["id"]]}, headers=worker.headers)
    assert fine.status_code == 201


async def test_resolving_clears_the_alarm_and_frees_the_worker(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, worker = await _assigned(client, world)
    photo = await upload(client, worker)

    answer = await client.post(
        f"/api/v1/alerts/{alarm_id}/resolve",
        json={"note": "Đã thông cống, nước rút", "photo_ids": [photo["id"]]},
        headers=worker.headers,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "cleared_unacknowledged"
    assert body["resolution"]["kind"] == "resolution"
    assert [p["id"] for p in body["resolution"]["photos"]] == [photo["id"]]
    row = await world.alarm_row(alarm_id)
    assert (row.status, row.clear_reason, row.cleared_by) == ("cleared_unacknowledged", "resolved", worker.id)
    assert row.cleared_at is not None
    [entry] = await world.timeline(alarm_id, journal.CLEARED)
    assert (entry.actor_id, entry.comment, entry.status) == (
        worker.id,
        "Đã thông cống, nước rút",
        "cleared_unacknowledged",
    )
    [event] = await world.events(alarm_id, events.CLEARED)
    assert event.data["change"] == {"by": "field_staff", "actor_id": str(worker.id)}
    assert event.data["alarm"]["status"] == "cleared_unacknowledged"
    status = (await client.get("/api/v1/me/field-status", headers=worker.headers)).json()
    assert status["available"] is True

    for path, body in (("progress", {"note": "sau khi xong"}), ("resolve", {})):
        late = await client.post(f"/api/v1/alerts/{alarm_id}/{path}", json=body, headers=worker.headers)
        assert late.status_code == 409
        assert late.json()["code"] == "alarm_cleared"


async def test_an_acknowledged_alarm_resolves_to_cleared_acknowledged(
    client: httpx.AsyncClient, world: World
) -> None:
    alarm_id, worker = await _assigned(client, world)
    await world.session.execute(
        text("UPDATE alarms SET status = 'active_acknowledged', acknowledged_at = now() WHERE id = :a"),
        {"a": alarm_id},
    )
    answer = await client.post(f"/api/v1/alerts/{alarm_id}/resolve", headers=worker.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cleared_acknowledged"
    assert answer.json()["resolution"]["note"] is None


async def test_only_staff_upload_dispatch_photos(client: httpx.AsyncClient, world: World) -> None:
    citizen = await world.person(Role.CITIZEN)
    answer = await post_photo(client, citizen)
    assert answer.status_code == 403
    worker = await world.staff(100)
    not_a_photo = await post_photo(client, worker, b"not an image at all", "text/plain")
    assert not_a_photo.status_code == 422
    assert not_a_photo.json()["code"] == "not_an_image"
    assert await world.rows("SELECT id FROM dispatch_photos") == []
