"""Short-lived JWT access tokens (HS256, signed with the settings' secret key)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from core.errors import Message, ProblemError
from core.identity.principal import Principal, Role
from core.settings import Settings

ALGORITHM = "HS256"
ISSUER = "smartcity"
AUDIENCE = "smartcity-api"


def issue_access_token(
    settings: Settings, principal: Principal, now: datetime | None = None
) -> tuple[str, datetime]:
    """Sign an access token for `principal`; returns the token and when it expires."""
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(minutes=settings.access_token_minutes)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(principal.user_id),
        "role": principal.role.value,
        "unit": principal.unit_code,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": principal.token_id or uuid.uuid4().hex,
    }
    if principal.session_id is not None:
        claims["sid"] = principal.session_id
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return token, expires


def verify_access_token(settings: Settings, token: str) -> Principal:
    """The principal of a valid access token; a 401 problem (token_expired or invalid_token) otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],  # never let the token choose its own algorithm
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            role=Role(claims["role"]),
            unit_code=claims.get("unit"),
            token_id=str(claims["jti"]),
            issued_at=int(claims["iat"]),
            session_id=str(claims["sid"]) if claims.get("sid") is not None else None,
        )
    except jwt.ExpiredSignatureError as exc:
        raise ProblemError(
            401,
            "token_expired",
            Message(
                "Phiên đăng nhập đã hết hạn, hãy làm mới token", "The access token has expired; refresh it"
            ),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise ProblemError(
            401,
            "invalid_token",
            Message("Token không hợp lệ", "The access token is not valid"),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
