"""An HTTP fake of the two Google endpoints firebase-admin calls: the OAuth token endpoint of a service
account (its `token_uri`) and FCM HTTP v1 `POST /v1/projects/{project}/messages:send`.

It listens on 127.0.0.1 in a background thread, records every request exactly as it arrived, and answers each
send according to a plan per token or topic (success when the plan is empty). Error answers use FCM v1's error
format, with the FcmError detail firebase-admin reads its error code from.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth signs the assertion for Google's token endpoint whatever the token_uri says.
ASSERTION_AUDIENCE = "https://oauth2.googleapis.com/token"
# How long a held answer may wait for the test to release it before the fake answers anyway.
HOLD_LIMIT_SECONDS = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # When given, the fake answers only once the event is set (or HOLD_LIMIT_SECONDS have passed).
    hold: threading.Event | None = None


def fcm_error(status: int, rpc_status: str, fcm_code: str, message: str, **headers: str) -> Reply:
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "status": rpc_status,
                "details": [{"@type": FCM_ERROR_TYPE, "errorCode": fcm_code}],
            }
        },
        headers,
    )


def unregistered() -> Reply:
    return fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")


def unavailable() -> Reply:
    return fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.")


def invalid_argument() -> Reply:
    return fcm_error(
        400,
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    )


def quota_exceeded(retry_after: int) -> Reply:
    return fcm_error(
        429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.", **{"Retry-After": str(retry_after)}
    )


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any


class FcmFake:
    def __init__(self) -> None:
        self.project_id = "smartcity-push-test"
        self.client_email = f"firebase-adminsdk@{self.project_id}.iam.gserviceaccount.com"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fcm-fake", daemon=True)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.access_token = f"ya29.fake-{secrets.token_urlsafe(16)}"
            self.token_requests: list[Recorded] = []
            self.assertions: list[dict[str, Any]] = []
            self.sends: list[Recorded] = []
            self._plans: dict[str, deque[Reply]] = {}
            self._next_id = 1000
            # When true the token endpoint refuses every assertion (as Google does for a revoked key).
            self.refuse_tokens = False

    def start(self) -> FcmFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def send_path(self) -> str:
        return f"/v1/projects/{self.project_id}/messages:send"

    def service_account(self) -> dict[str, str]:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": f"{self.url}/auth",
            "token_uri": self.token_uri,
        }

    def write_service_account(self, path: Path) -> Path:
        path.write_text(json.dumps(self.service_account()), encoding="utf-8")
        return path

    def plan(self, target: str, *replies: Reply) -> None:
        """Answer the next sends to `target` (a token or a topic) with `replies`, in order."""
        with self._lock:
            self._plans.setdefault(target, deque()).extend(replies)

    def sends_to(self, target: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.sends if _target(r.body) == target]

    # Called from the server's threads.
    def _answer_token(self, request: Recorded) -> Reply:
        form = request.body
        with self._lock:
            self.token_requests.append(request)
        if self.refuse_tokens:
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        if form.get("grant_type") != JWT_GRANT:
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.private_key.public_key(),
                algorithms=["RS256"],
                audience=ASSERTION_AUDIENCE,
                issuer=self.client_email,
            )
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        with self._lock:
            self.assertions.append(claims)
            return Reply(200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"})

    def _answer_send(self, request: Recorded) -> Reply:
        with self._lock:
            self.sends.append(request)
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                return Reply(
                    401,
                    {
                        "error": {
                            "code": 401,
                            "message": "Request had invalid authentication.",
                            "status": "UNAUTHENTICATED",
                        }
                    },
                )
            plan = self._plans.get(_target(request.body) or "")
            if plan:
                return plan.popleft()
            self._next_id += 1
            return Reply(200, {"name": f"projects/{self.project_id}/messages/{self._next_id}"})


def _target(body: Any) -> str | None:
    message = body.get("message", {}) if isinstance(body, dict) else {}
    target = message.get("token") or message.get("topic")
    return str(target) if target is not None else None


def _handler(fake: FcmFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            if self.path == "/token":
                form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
                reply = fake._answer_token(Recorded("POST", self.path, headers, form))
            elif self.path == fake.send_path:
                reply = fake._answer_send(Recorded("POST", self.path, headers, json.loads(raw)))
            else:
                reply = Reply(404, {"error": {"code": 404, "message": "no such path", "status": "NOT_FOUND"}})
            if reply.hold is not None:
                reply.hold.wait(HOLD_LIMIT_SECONDS)
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # the base class's name
            """Quiet: the tests read the recorded requests instead."""

    return Handler
