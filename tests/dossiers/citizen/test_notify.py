"""Announcing dossier changes: one live event per change, pushes to linked citizens and followers, SMS to
applicants who asked for them; each as mobile_contract/asyncapi.yaml documents it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlmodel import col

from core.events.repository import outbox as event_outbox
from core.identity.models import SmsMessage
from core.push.repository import notifications
from core.settings import Settings
from dossiers.changes import ChangeKind, DossierChange
from dossiers.keys import id_hash
from dossiers.models import AGENCY_CODE_MAX_LENGTH, DOSSIER_CODE_MAX_LENGTH, Dossier, DossierFollower
from dossiers.notify import announce
from dossiers.notify.messages import SMS_MAX_LENGTH, PushKind, sms_text
from dossiers.types import Status
from mobile_contract.events import EventEnvelope
from tests.dossiers.citizen.conftest import Office
from tests.mobile_contract.test_asyncapi import ASYNCAPI_PATH
from tests.support.people import PersonFactory

SCHEMAS: dict[str, Any] = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))["components"]["schemas"]
NOW = datetime(2025, 4, 24, 2, 0, tzinfo=UTC)


def _change(
    dossier: Dossier, kind: ChangeKind, status: Status, previous: Status | None, **extra: Any
) -> DossierChange:
    return DossierChange(
        kind=kind,
        dossier_id=dossier.id,
        code=dossier.code,
        agency_id=dossier.agency_id,
        unit_code=dossier.unit_code,
        status=status,
        previous_status=previous,
        at=NOW + timedelta(minutes=len(extra) + int(status)),
        applicant_phone=dossier.applicant_phone,
        sms_opt_in=dossier.sms_opt_in,
        applicant_id_hash=dossier.applicant_id_hash,
        **extra,
    )


def _every_kind(dossier: Dossier) -> list[DossierChange]:
    return [
        _change(dossier, ChangeKind.RECEIVED, Status.ACCEPTED, None),
        _change(dossier, ChangeKind.STATUS_CHANGED, Status.IN_PROCESS, Status.ACCEPTED),
        _change(dossier, ChangeKind.STATUS_CHANGED, Status.MORE_DOCUMENTS, Status.IN_PROCESS),
        _change(dossier, ChangeKind.STATUS_CHANGED, Status.FEE_DUE, Status.IN_PROCESS),
        _change(dossier, ChangeKind.STATUS_CHANGED, Status.RESULT_READY, Status.FEE_DUE),
        _change(dossier, ChangeKind.APOLOGY, Status.RESULT_READY, None, new_due_at=NOW + timedelta(days=9)),
    ]


async def test_one_event_per_change_without_personal_data(office: Office, settings: Settings) -> None:
    dossier = await office.dossier(applicant_phone="+84912345678", applicant_name="Nguyễn Văn An")
    changes = _every_kind(dossier)
    await announce(office.session, settings, changes)
    rows = (
        await office.session.execute(
            select(event_outbox)
            .where(event_outbox.c.subject_id == str(dossier.id))
            .order_by(event_outbox.c.id)
        )
    ).all()
    assert [row.type for row in rows] == [
        "dossiers.received",
        *["dossiers.status_changed"] * 4,
        "dossiers.apology",
    ]
    documented = SCHEMAS["DossierEvent"]
    for row, change in zip(rows, changes, strict=True):
        assert row.topic == "dossiers"
        assert row.unit_code == dossier.unit_code
        assert set(row.data) == set(documented["required"]) == set(documented["properties"])
        assert row.data["code"] == dossier.code
        assert row.data["status"] == int(change.status)
        assert row.occurred_at == change.at
        assert "+8491" not in str(row.data)
        assert "Nguyễn" not in str(row.data)
        EventEnvelope.model_validate(
            {
                "id": row.event_id,
                "type": row.type,
                "occurred_at": row.occurred_at,
                "unit_code": row.unit_code,
                "subject_id": row.subject_id,
                "data": row.data,
            }
        )
    assert rows[-1].data["new_due_at"] == (NOW + timedelta(days=9)).isoformat()


async def test_pushes_reach_the_linked_citizens_and_followers_once_each_per_change(
    office: Office, settings: Settings, person: PersonFactory
) -> None:
    by_phone, by_id, follower, stranger = await person(), await person(), await person(), await person()
    by_id.user.national_id_hash = id_hash(settings, "036190005555")
    dossier = await office.dossier(applicant_phone=by_phone.user.phone, id_number="036190005555")
    office.session.add(DossierFollower(dossier_id=dossier.id, user_id=follower.id))
    # Following her own dossier does not make her hear twice.
    office.session.add(DossierFollower(dossier_id=dossier.id, user_id=by_phone.id))
    await office.session.flush()
    changes = _every_kind(dossier)
    await announce(office.session, settings, changes)

    pushed = (await office.session.execute(select(notifications).order_by(notifications.c.created_at))).all()
    assert {row.user_id for row in pushed} == {by_phone.id, by_id.id, follower.id}
    assert stranger.id not in {row.user_id for row in pushed}
    for person_id in (by_phone.id, by_id.id, follower.id):
        kinds = [row.data["kind"] for row in pushed if row.user_id == person_id]
        assert sorted(kinds) == sorted(str(kind) for kind in PushKind)
    titles = {row.data["kind"]: (row.title_vi, row.title_en) for row in pushed}
    assert len({vi for vi, _ in titles.values()}) == len({en for _, en in titles.values()}) == len(PushKind)
    assert all(dossier.code in vi and dossier.code in en for vi, en in titles.values())
    schema = SCHEMAS["DossierPushData"]
    for row in pushed:
        assert set(row.data) == set(schema["required"]) == set(schema["properties"])
        assert row.data["kind"] in schema["properties"]["kind"]["enum"]
        assert re.fullmatch(schema["properties"]["status"]["pattern"], row.data["status"])
        assert row.data["code"] == dossier.code
    apology = next(row for row in pushed if row.data["kind"] == "dossier_apology")
    assert "03/05/2025" in apology.body_vi
    assert "03/05/2025" in apology.body_en


async def test_sms_on_receipt_documents_and_result_when_asked_for(office: Office, settings: Settings) -> None:
    asked = await office.dossier(applicant_phone="+84911110001", sms_opt_in=True)
    not_asked = await office.dossier(applicant_phone="+84911110002", sms_opt_in=False)
    await announce(office.session, settings, [*_every_kind(asked), *_every_kind(not_asked)])
    texts = (
        await office.session.execute(
            select(col(SmsMessage.phone), col(SmsMessage.body)).where(
                col(SmsMessage.phone).in_(["+84911110001", "+84911110002"])
            )
        )
    ).all()
    assert {phone for phone, _ in texts} == {"+84911110001"}
    bodies = sorted(body for _, body in texts)
    assert len(bodies) == 3
    assert any("tiep nhan" in body for body in bodies)
    assert any("bo sung giay to" in body for body in bodies)
    assert any("da co ket qua" in body for body in bodies)
    assert all(asked.code in body for body in bodies)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ChangeKind.RECEIVED, Status.SUBMITTED_ONLINE),
        (ChangeKind.STATUS_CHANGED, Status.MORE_DOCUMENTS),
        (ChangeKind.STATUS_CHANGED, Status.RESULT_READY),
    ],
)
def test_sms_texts_fit_one_gsm_message_with_the_longest_code(kind: ChangeKind, status: Status) -> None:
    code = f"{'A' * AGENCY_CODE_MAX_LENGTH}-250424-{1:07d}"
    assert len(code) == DOSSIER_CODE_MAX_LENGTH
    change = DossierChange(
        kind=kind,
        dossier_id=uuid.uuid4(),
        code=code,
        agency_id=uuid.uuid4(),
        unit_code="13666",
        status=status,
        previous_status=None,
        at=NOW,
        applicant_phone="+84911110001",
        sms_opt_in=True,
        applicant_id_hash=None,
    )
    text = sms_text(change)
    assert text is not None
    assert code in text
    assert len(text) <= SMS_MAX_LENGTH
    assert text.isascii()


async def test_nothing_to_announce_writes_nothing(office: Office, settings: Settings) -> None:
    await announce(office.session, settings, [])
    assert (
        await office.session.execute(select(event_outbox).where(event_outbox.c.topic == "dossiers"))
    ).all() == []
