"""Idempotency and order safety: repeats change nothing, older updates never win, and a history sent in any
order within batches and in any cut into batches ends where it would have in order."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.types import ALLOWED, TERMINAL, Status
from tests.dossiers.sync.support import (
    FRESH,
    RECEIVED,
    RESUMING,
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

_STATE = (
    "status",
    "status_at",
    "due_at",
    "original_due_at",
    "paused_at",
    "remaining_seconds",
    "document_requests",
    "forced_late",
    "finished_at",
    "returned_at",
    "next_action",
)


async def _state(session: AsyncSession, code: str) -> tuple[Any, ...]:
    dossier = await stored(session, code)
    return (*(getattr(dossier, name) for name in _STATE), await steps_of(session, code))


async def test_the_same_update_twice_is_unchanged(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(30)
    step = status_item(code, 4, local(2025, 4, 24, 10))
    assert outcomes(await send(client, caller, dossier_item(code), step, step)) == [
        "created",
        "updated",
        "unchanged",
    ]
    before = await _state(session, code)
    assert outcomes(await send(client, caller, dossier_item(code), step)) == ["unchanged", "unchanged"]
    # The receipt's own step is a repeat too.
    assert outcomes(await send(client, caller, status_item(code, 2, RECEIVED))) == ["unchanged"]
    assert await _state(session, code) == before


async def test_an_older_update_is_stale_and_changes_nothing(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(31)
    await send(
        client,
        caller,
        dossier_item(code),
        status_item(code, 4, local(2025, 4, 24, 10)),
        status_item(code, 9, local(2025, 4, 25, 10)),
    )
    before = await _state(session, code)
    results = await send(client, caller, status_item(code, 5, local(2025, 4, 24, 15)))
    assert outcomes(results) == ["stale"]
    assert await _state(session, code) == before


async def test_one_batch_applies_a_dossiers_updates_in_time_order(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    code = code_for(32)
    results = await send(
        client,
        caller,
        status_item(code, 10, local(2025, 4, 28, 8)),
        status_item(code, 9, local(2025, 4, 25, 15)),
        status_item(code, 4, local(2025, 4, 24, 10)),
        dossier_item(code),
    )
    assert outcomes(results) == ["updated", "updated", "updated", "created"]
    assert [status for status, _ in await steps_of(session, code)] == [2, 4, 9, 10]
    assert (await stored(session, code)).returned_at == local(2025, 4, 28, 8)


def _history(rng: random.Random, code: str) -> list[dict[str, Any]]:
    """A legal history from acceptance, with increasing times, and a request for documents now and then."""
    items: list[dict[str, Any]] = []
    status, at = Status.ACCEPTED, RECEIVED
    while status not in TERMINAL and len(items) < 9:
        choices = sorted(ALLOWED[status])
        if Status.IN_PROCESS in choices and rng.random() < 0.5:
            target = Status.IN_PROCESS
        else:
            target = rng.choice(choices)
        at = at + timedelta(minutes=rng.randint(1, 3000))
        extra: dict[str, Any] = {}
        if target is Status.MORE_DOCUMENTS:
            extra["next_action"] = {"documents": [{"name_vi": f"Giấy tờ {len(items)}"}]}
        items.append(status_item(code, int(target), at, **extra))
        status = target
    return items


@pytest.mark.parametrize("seed", range(6))
async def test_any_order_and_any_cut_into_batches_ends_as_in_order(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession, seed: int
) -> None:
    rng = random.Random(seed)
    pairs = [(code_for(100 + 2 * n), code_for(101 + 2 * n), rng.choice([FRESH, RESUMING])) for n in range(4)]
    histories: dict[str, list[dict[str, Any]]] = {}
    for in_order, shuffled, procedure in pairs:
        history = _history(rng, in_order)
        histories[shuffled] = [{**item, "code": shuffled} for item in history]
        await send(client, caller, dossier_item(in_order, procedure_code=procedure))
        for item in history:
            await send(client, caller, item)
    # The other copies: the dossier item somewhere in the first batch, each later batch a consecutive
    # stretch of each history, shuffled and interleaved across dossiers, with repeats of earlier items.
    cuts = {
        code: sorted(rng.sample(range(1, len(items)), k=min(2, len(items) - 1)))
        for code, items in histories.items()
    }
    batches: list[list[dict[str, Any]]] = [[], [], []]
    for (_, shuffled, procedure), (code, items) in zip(pairs, histories.items(), strict=True):
        batches[0].append(dossier_item(shuffled, procedure_code=procedure))
        bounds = [0, *cuts[code], len(items)]
        for part, (start, end) in enumerate(itertools.pairwise(bounds)):
            batches[part].extend(items[start:end])
            batches[part].extend(rng.sample(items[:start], k=min(start, 2)))
    for batch in batches:
        rng.shuffle(batch)
        if batch:
            results = await send(client, caller, *batch)
            assert not [result for result in results if result["result"] == "rejected"], results
    for in_order, shuffled, _ in pairs:
        expected, actual = await _state(session, in_order), await _state(session, shuffled)
        assert actual == expected


async def test_a_step_at_the_same_moment_follows_the_current_one(
    client: httpx.AsyncClient, caller: SyncCaller, session: AsyncSession
) -> None:
    # Minute-resolution systems report the receipt and the first hand-over at the same time.
    code = code_for(33)
    results = await send(client, caller, dossier_item(code), status_item(code, 4, RECEIVED))
    assert outcomes(results) == ["created", "updated"]
    assert (await stored(session, code)).status == 4
