"""Every reason an item is rejected, each keeping the other items of its batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.dossiers.sync.support import (
    OTHER_AGENCY_CODE,
    RECEIVED,
    SyncCaller,
    apology_item,
    code_for,
    dossier_item,
    local,
    outcomes,
    send,
    status_item,
    steps_of,
    stored,
)


async def test_a_malformed_item_is_rejected_alone_with_its_errors(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    good, bad = code_for(10), code_for(11)
    broken = dossier_item(bad, channel="pigeon")
    results = await send(client, caller, dossier_item(good), broken, 42, {"type": "nonsense"})
    assert outcomes(results) == ["created", "malformed", "malformed", "malformed"]
    assert results[1]["code"] == bad
    assert results[1]["errors"][0]["location"][-1] == "channel"
    assert {"vi", "en"} <= results[1]["detail"].keys()
    assert "code" not in results[2]
    assert (await stored(session, good)).status == 2


@pytest.mark.parametrize(
    "change",
    [
        {"applicant": {"name": "A", "id_number": "12345"}},
        {"applicant": {"name": "A", "phone": "0241234567"}},
        {"status": 4},
        {"received_at": "2025-04-24T09:00:00"},
        {"fee_vnd": -1},
        {"extra": True},
    ],
)
async def test_bad_fields_are_malformed(
    client: httpx.AsyncClient, caller: SyncCaller, change: dict[str, Any]
) -> None:
    assert outcomes(await send(client, caller, dossier_item(code_for(12), **change))) == ["malformed"]


async def test_next_action_only_with_requests_and_apologies_promise_a_later_date(
    client: httpx.AsyncClient, caller: SyncCaller
) -> None:
    code = code_for(13)
    results = await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, local(2025, 4, 24, 10), next_action={"note_vi": "x"}),
        apology_item(code, local(2025, 4, 30, 9), local(2025, 4, 29, 9)),
    )
    assert outcomes(results) == ["created", "malformed", "malformed"]


@pytest.mark.parametrize(
    "code",
    [
        "000.00.22.H56-250424-001",  # three digits
        "000.00.22.H56-250230-0001",  # 30 February
        "000.00.22.h56-250424-0001",  # lower case
        "000.00.22.H56/250424/0001",
        "250424-0001",
    ],
)
async def test_bad_codes(client: httpx.AsyncClient, caller: SyncCaller, code: str) -> None:
    results = await send(client, caller, dossier_item(code), status_item(code, 4, local(2025, 4, 24, 10)))
    assert outcomes(results) == ["bad_code", "bad_code"]


async def test_the_code_carries_the_local_day_of_receipt(
    client: httpx.AsyncClient, caller: SyncCaller
) -> None:
    # 23:30 UTC on the 23rd is already the 24th in Hà Nội.
    late_evening = datetime(2025, 4, 23, 23, 30, tzinfo=UTC)
    results = await send(
        client,
        caller,
        dossier_item("000.00.22.H56-250423-0001", late_evening),
        dossier_item("000.00.22.H56-250424-0001", late_evening),
    )
    assert outcomes(results) == ["bad_code", "created"]
    assert "250424" in results[0]["detail"]["en"]


async def test_another_agencys_codes_and_dossiers(
    client: httpx.AsyncClient, caller: SyncCaller, other_caller: SyncCaller
) -> None:
    theirs = code_for(14, agency=OTHER_AGENCY_CODE)
    assert outcomes(await send(client, other_caller, dossier_item(theirs))) == ["created"]
    results = await send(
        client,
        caller,
        dossier_item(theirs),
        status_item(theirs, 4, local(2025, 4, 24, 10)),
        apology_item(theirs, local(2025, 4, 30, 9), local(2025, 5, 6, 9)),
    )
    assert outcomes(results) == ["other_agency"] * 3


async def test_unknown_procedure_unit_and_dossier(client: httpx.AsyncClient, caller: SyncCaller) -> None:
    results = await send(
        client,
        caller,
        dossier_item(code_for(15), procedure_code="9.999999.000.00.00.H56"),
        dossier_item(code_for(16), unit_code="99999"),
        status_item(code_for(17), 4, local(2025, 4, 24, 10)),
        apology_item(code_for(17), local(2025, 4, 30, 9), local(2025, 5, 6, 9)),
    )
    assert outcomes(results) == ["unknown_procedure", "unknown_unit", "unknown_dossier", "unknown_dossier"]


async def test_illegal_transitions_name_both_statuses(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(18)
    results = await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 9, local(2025, 4, 24, 10)),
        status_item(code, 4, local(2025, 4, 24, 11)),
        status_item(code, 1, local(2025, 4, 24, 12)),
    )
    assert outcomes(results) == ["created", "illegal_transition", "updated", "illegal_transition"]
    assert "(2)" in results[1]["detail"]["en"]
    assert "(9)" in results[1]["detail"]["en"]
    assert "Đã tiếp nhận" in results[1]["detail"]["vi"]
    assert (await stored(session, code)).status == 4


async def test_terminal_statuses_accept_nothing_more(client: httpx.AsyncClient, caller: SyncCaller) -> None:
    code = code_for(19)
    results = await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 7, local(2025, 4, 24, 10)),
        status_item(code, 4, local(2025, 4, 24, 11)),
    )
    assert outcomes(results) == ["created", "updated", "illegal_transition"]


async def test_in_the_future_or_before_receipt(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(20)
    soon = datetime.now(UTC) + timedelta(minutes=2)
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    today = code_for(1, ahead)
    results = await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, RECEIVED - timedelta(minutes=1)),
        status_item(code, 9, ahead),
        dossier_item(today, ahead),
        apology_item(code, RECEIVED - timedelta(days=1), local(2025, 5, 6, 9)),
        status_item(code, 4, soon),
    )
    assert outcomes(results) == [
        "created",
        "before_receipt",
        "in_future",
        "in_future",
        "before_receipt",
        "updated",
    ]
    assert (await stored(session, code)).status == 4


async def test_an_apology_needs_a_late_dossier_and_keeps_it_late(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(21)
    await send(client, caller, dossier_item(code), status_item(code, 4, local(2025, 4, 24, 10)))
    # Due Mon 28/4 09:00: on Fri 25/4 it is more than a working day away.
    early = apology_item(code, local(2025, 4, 25, 9), local(2025, 5, 6, 9))
    assert outcomes(await send(client, caller, early)) == ["not_late"]
    overdue = apology_item(code, local(2025, 4, 29, 9), local(2025, 5, 6, 9))
    assert outcomes(await send(client, caller, overdue, overdue)) == ["updated", "unchanged"]
    dossier = await stored(session, code)
    assert dossier.due_at == local(2025, 5, 6, 9)
    assert dossier.original_due_at == local(2025, 4, 28, 9)
    assert dossier.forced_late is True
    # A repeat in a later batch is still the same letter.
    assert outcomes(await send(client, caller, overdue)) == ["unchanged"]


async def test_an_apology_on_the_due_day_is_accepted(client: httpx.AsyncClient, caller: SyncCaller) -> None:
    # The rules ask for the letter before the due date passes: due soon is late enough.
    code = code_for(22)
    await send(client, caller, dossier_item(code))
    due_soon = apology_item(code, local(2025, 4, 28, 8), local(2025, 5, 6, 9))
    assert outcomes(await send(client, caller, due_soon)) == ["updated"]


async def test_every_item_rejected_is_still_a_200(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(23)
    results = await send(client, caller, status_item(code, 4, local(2025, 4, 24, 10)), {"type": "status"})
    assert outcomes(results) == ["unknown_dossier", "malformed"]
    assert await steps_of(session, code) == []
