"""A dossier and its steps through the sync API: creation, updates, the deadline bookkeeping."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from dossiers.keys import id_hash, suffix_hash
from tests.dossiers.sync.support import (
    RECEIVED,
    SyncCaller,
    code_for,
    dossier_item,
    local,
    outcomes,
    send,
    status_item,
    steps_of,
    stored,
)


async def test_a_counter_dossier_is_created_with_its_clock_running(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession, settings: Settings
) -> None:
    code = code_for(1)
    results = await send(client, caller, dossier_item(code))
    assert results == [{"index": 0, "code": code, "result": "created"}]
    dossier = await stored(session, code)
    assert dossier.status == 2
    assert dossier.agency_id == caller.agency.id
    assert dossier.unit_code == "37"
    assert dossier.applicant_phone == "+84912345678"
    assert dossier.applicant_id_hash == id_hash(settings, "079099123456")
    assert dossier.id_suffix_hash == suffix_hash(settings, code, "3456")
    assert dossier.sms_opt_in is True
    # Thu 24/4/2025 09:00 + 3 working days: Mon 28/4 09:00, as Sat 26/4 was a make-up working day.
    assert dossier.due_at == local(2025, 4, 28, 9, 0)
    assert dossier.original_due_at == dossier.due_at
    assert await steps_of(session, code) == [(2, RECEIVED)]


async def test_an_online_dossier_starts_its_clock_when_accepted(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(2)
    results = await send(
        client,
        caller,
        dossier_item(code, status=1, channel="online"),
        status_item(code, 2, local(2025, 4, 25, 10, 0)),
    )
    assert outcomes(results) == ["created", "updated"]
    dossier = await stored(session, code)
    assert dossier.status == 2
    # Fri 25/4 10:00 + 3 working days: Sat 26/4 (worked), Mon 28/4, Tue 29/4 10:00.
    assert dossier.due_at == local(2025, 4, 29, 10, 0)


async def test_a_repeated_dossier_item_is_unchanged_and_a_new_phone_an_update(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(3)
    await send(client, caller, dossier_item(code))
    assert outcomes(await send(client, caller, dossier_item(code))) == ["unchanged"]
    changed = dossier_item(code, applicant={"name": "Nguyễn Thị Lan", "phone": "0987654321"}, status=1)
    assert outcomes(await send(client, caller, changed)) == ["updated"]
    dossier = await stored(session, code)
    assert dossier.applicant_phone == "+84987654321"
    assert dossier.applicant_id_hash is None
    # The status of an existing dossier follows its steps, never its dossier item.
    assert dossier.status == 2


async def test_requests_for_documents_stop_the_clock_and_the_second_makes_it_late(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(4)
    needed = {"documents": [{"name_vi": "Bản sao giấy khai sinh", "copies": 1}], "note_vi": "Mang bản gốc"}
    await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, local(2025, 4, 24, 10, 0)),
        status_item(code, 5, local(2025, 4, 25, 9, 0), next_action=needed),
    )
    dossier = await stored(session, code)
    assert (dossier.status, dossier.due_at, dossier.paused_at) == (5, None, local(2025, 4, 25, 9, 0))
    assert dossier.document_requests == 1
    assert dossier.forced_late is False
    assert dossier.next_action is not None
    assert dossier.next_action["documents"][0]["name_vi"] == "Bản sao giấy khai sinh"
    # The documents arrive on Tue 6/5 08:30: the 3 days run afresh (30/4 to 2/5 and 3-4/5 are days off).
    await send(client, caller, status_item(code, 4, local(2025, 5, 6, 8, 30)))
    dossier = await stored(session, code)
    assert (dossier.due_at, dossier.original_due_at) == (local(2025, 5, 9, 8, 30), local(2025, 5, 9, 8, 30))
    assert dossier.paused_at is None
    assert dossier.next_action is None
    await send(client, caller, status_item(code, 5, local(2025, 5, 7, 9, 0)))
    dossier = await stored(session, code)
    assert (dossier.document_requests, dossier.forced_late) == (2, True)


async def test_finishing_and_returning(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(5)
    await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, local(2025, 4, 24, 10, 0)),
        status_item(code, 9, local(2025, 4, 25, 15, 0)),
        status_item(code, 10, local(2025, 4, 28, 8, 0)),
    )
    dossier = await stored(session, code)
    assert (dossier.status, dossier.finished_at, dossier.returned_at) == (
        10,
        local(2025, 4, 25, 15, 0),
        local(2025, 4, 28, 8, 0),
    )
    assert [status for status, _ in await steps_of(session, code)] == [2, 4, 9, 10]
