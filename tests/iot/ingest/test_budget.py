"""The per-device budget on its own, with a clock the test moves: who spends it, and when it is renewed."""

from __future__ import annotations

from core.settings import Settings
from iot.ingest.budget import STATUS_PER_MINUTE, WINDOW_SECONDS, DeviceBudget, device_key
from iot.ingest.source import Received

A = "city/v1/devices/0f8fad5b-d9cb-469f-a165-70867728950e/telemetry"
B = "city/v1/devices/7c9e6679-7425-40de-944b-e07fc1f90ae7/event"


def messages(topic: str, count: int) -> list[Received]:
    return [Received(generation=1, mid=n, topic=topic, payload=b"{}", wall=0.0) for n in range(count)]


def test_the_device_segment_spends_the_budget() -> None:
    assert device_key(A) == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert device_key(A.replace("telemetry", "status")) == device_key(A)
    assert device_key("elsewhere/x") == "elsewhere/x"


def test_a_device_over_its_budget_waits_for_the_next_window_and_the_others_do_not() -> None:
    now = [10.0]
    budget = DeviceBudget(
        Settings(ingest_device_messages_per_minute=3, ingest_device_dead_letters_per_minute=1),
        clock=lambda: now[0],
    )
    admitted, over = budget.admit(messages(A, 5) + messages(B, 2))
    assert (len(admitted), over) == (5, 2)
    assert [m.topic for m in admitted] == [A, A, A, B, B]
    assert budget.admit(messages(A, 1)) == ([], 1)
    assert budget.dead_letter(A) is True
    assert budget.dead_letter(A) is False
    assert budget.dead_letter(B) is True
    now[0] += WINDOW_SECONDS
    admitted, over = budget.admit(messages(A, 4))
    assert (len(admitted), over) == (3, 1)
    assert budget.dead_letter(A) is True


def test_a_device_flooding_telemetry_still_gets_its_status_stored() -> None:
    budget = DeviceBudget(Settings(ingest_device_messages_per_minute=3), clock=lambda: 10.0)
    status = A.replace("telemetry", "status")
    admitted, over = budget.admit(messages(A, 10) + messages(status, 1))
    assert (len(admitted), over) == (4, 7)
    assert admitted[-1].topic == status
    # Statuses have their own small allowance, so a flood of them is held too.
    admitted, over = budget.admit(messages(status, STATUS_PER_MINUTE + 5))
    assert (len(admitted), over) == (STATUS_PER_MINUTE - 1, 6)
