"""Firebase Cloud Messaging through firebase-admin (FCM HTTP v1).

firebase-admin is blocking (requests, and a thread pool inside send_each): every call runs in a worker thread
through asyncio.to_thread so the event loop never waits on Google.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import firebase_admin  # type: ignore[import-untyped]  # firebase-admin ships no type information
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter

from core.push.senders import MAX_BATCH, Outcome, PushMessage, PushSender, SendResult

logger = logging.getLogger("smartcity.push.fcm")

HTTP_TIMEOUT_SECONDS = 30
# Codes worth another try later. UNAUTHENTICATED and PERMISSION_DENIED (without an FCM-specific code) mean our
# own credentials or project rights are wrong: retrying lets a fix made in time still deliver, and exhausted
# retries read as "failed" (our side) rather than "dropped" (the recipient's side).
TRANSIENT_CODES = frozenset(
    {
        "UNAVAILABLE",
        "INTERNAL",
        "QUOTA_EXCEEDED",
        "RESOURCE_EXHAUSTED",
        "DEADLINE_EXCEEDED",
        "UNKNOWN",
        "ABORTED",
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
    }
)
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


class FcmSender(PushSender):
    """Sends through a named firebase_admin App of its own, built from a service-account file."""

    def __init__(self, credentials_file: Path, *, endpoint: str | None = None) -> None:
        credential = credentials.Certificate(str(credentials_file))
        # A name of its own: several senders (tests, workers in one process) never share or clash.
        self._app = firebase_admin.initialize_app(
            credential, {"httpTimeout": HTTP_TIMEOUT_SECONDS}, name=f"smartcity-push-{uuid.uuid4().hex}"
        )
        try:
            self._service = _configure_messaging(self._app, endpoint)
        except BaseException:
            firebase_admin.delete_app(self._app)
            raise

    @property
    def project_id(self) -> str:
        project: str = self._app.project_id
        return project

    async def send_to_tokens(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for start in range(0, len(messages), MAX_BATCH):
            results.extend(await self._send_batch(messages[start : start + MAX_BATCH]))
        return results

    async def _send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        results: list[SendResult | None] = [None] * len(messages)
        built: list[Any] = []
        positions: list[int] = []
        for position, message in enumerate(messages):
            try:
                built.append(build_message(message))
                positions.append(position)
            except ValueError as exc:  # firebase-admin refuses the message itself: it never will go out
                results[position] = SendResult(Outcome.PERMANENT, error=f"INVALID_MESSAGE: {exc}"[:200])
        if built:
            try:
                batch = await asyncio.to_thread(messaging.send_each, built, False, self._app)
                answers = [_from_response(response) for response in batch.responses]
            except Exception as exc:  # the whole call failed (e.g. no OAuth token): every message is retried
                logger.warning("FCM batch of %d failed: %r", len(built), exc)
                answers = [classify_error(exc)] * len(built)
            for position, answer in zip(positions, answers, strict=True):
                results[position] = answer
        return [result for result in results if result is not None]

    async def send_to_topic(self, message: PushMessage) -> SendResult:
        try:
            built = build_message(message)
        except ValueError as exc:
            return SendResult(Outcome.PERMANENT, error=f"INVALID_MESSAGE: {exc}"[:200])
        try:
            message_id = await asyncio.to_thread(messaging.send, built, False, self._app)
        except Exception as exc:
            return classify_error(exc)
        return SendResult(Outcome.OK, message_id=str(message_id))

    async def close(self) -> None:
        # delete_app closes the messaging service with asyncio.run(), which cannot run inside our loop.
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        firebase_admin.delete_app(self._app)
        self._service._client.close()


def _configure_messaging(app: Any, endpoint: str | None) -> Any:
    """Point the app's messaging service at `endpoint` and leave retries to the dispatcher.

    firebase-admin 7.7 has no public option for either. Its messaging service (created once per App and
    cached on it) keeps the send URL in `_fcm_url`, built in its constructor from
    `https://fcm.googleapis.com/v1/projects/{project}/messages:send`, and sends through a requests session at
    `_client.session`. We create the service here, replace the URL's base with `endpoint` (same path, so a
    fake or a gateway sees exactly what Google would), and mount an adapter without retries: the library's
    own adapter retries 500/503 four times in the calling thread (about 7 s of sleeps), which would hide
    transient failures from the dispatcher and multiply its attempts. If a future version renames these
    attributes we refuse to start rather than silently send elsewhere.
    """
    service = messaging._get_messaging_service(app)
    for attribute in ("_fcm_url", "_client"):
        if not hasattr(service, attribute):
            raise RuntimeError(
                f"firebase-admin {firebase_admin.__version__}: the messaging service has no {attribute}; "
                "core/push/fcm.py must be updated for this version"
            )
    prefixes = ["https://fcm.googleapis.com"]
    if endpoint:
        base = endpoint.rstrip("/")
        service._fcm_url = f"{base}/v1/projects/{app.project_id}/messages:send"
        prefixes.append(base)
    no_retries = HTTPAdapter(max_retries=0)
    for prefix in prefixes:
        service._client.session.mount(prefix, no_retries)
    return service


def build_message(message: PushMessage) -> Any:
    """The firebase-admin Message for one of ours; the JSON it encodes to is senders.fcm_message_json."""
    priority = "high" if message.high_priority else "normal"
    common: dict[str, Any] = {
        "notification": messaging.Notification(title=message.title, body=message.body),
        "data": dict(message.data) or None,
        "android": messaging.AndroidConfig(priority=priority),
        "apns": messaging.APNSConfig(headers={"apns-priority": "10" if message.high_priority else "5"}),
    }
    if message.topic is not None:
        built = messaging.Message(topic=message.topic, **common)
    else:
        # Phones register FCM registration tokens (what the client SDK's getToken() returns). firebase-admin
        # 7.7 marks Message.token deprecated in favour of Firebase installation ids, but the v1 API still
        # takes tokens and a fid is a different identifier; the warning is silenced here only.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Message.token is deprecated", category=DeprecationWarning
            )
            built = messaging.Message(token=message.token, **common)
    # firebase-admin validates a message only while encoding it, and inside send_each one invalid message
    # fails the whole batch: encode each here (str() is its JSON) so a bad one fails alone.
    str(built)
    return built


def _from_response(response: Any) -> SendResult:
    if response.success:
        return SendResult(Outcome.OK, message_id=str(response.message_id))
    return classify_error(response.exception)


def classify_error(exc: BaseException | None) -> SendResult:
    """Map a firebase-admin (or transport) error to an outcome, by FCM's own error code when it gave one."""
    if exc is None:
        return SendResult(Outcome.TRANSIENT, error="NO_ANSWER")
    if not isinstance(exc, exceptions.FirebaseError):
        # google-auth failing to fetch a token, a bug in a thread: nothing says the message is bad.
        return SendResult(Outcome.TRANSIENT, error=type(exc).__name__)
    response = exc.http_response
    status: int | None = response.status_code if response is not None else None
    code = _fcm_error_code(response) or str(exc.code)
    retry_after = _retry_after(response)
    if isinstance(exc, messaging.UnregisteredError) or code == "UNREGISTERED":
        return SendResult(Outcome.UNREGISTERED, error="UNREGISTERED")
    if code in TRANSIENT_CODES or status is None or status == 429 or status >= 500:
        return SendResult(Outcome.TRANSIENT, error=code, retry_after=retry_after)
    return SendResult(Outcome.PERMANENT, error=code)


def _fcm_error_code(response: Any) -> str | None:
    """errorCode of the FcmError detail in an FCM v1 error body, if any."""
    if response is None:
        return None
    try:
        details = json.loads(response.content or b"{}").get("error", {}).get("details", [])
        for detail in details:
            if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE and detail.get("errorCode"):
                return str(detail["errorCode"])
    except (ValueError, AttributeError):
        pass
    return None


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None or not value.strip().isdigit():
        return None  # HTTP-date values are rare for FCM; the dispatcher's own backoff applies
    return float(value.strip())
