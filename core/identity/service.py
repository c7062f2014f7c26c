"""Sign-in and accounts: one-time codes for citizens, passwords for staff, token pairs, staff accounts, and a
citizen's own account (view, export, delete). No HTTP and no commit here: the caller's unit of work commits.

Every refusal is logged (phones masked) and raises a problem with a stable code. A refusal that must leave a
trace in the database (a counted wrong code, a revoked token family) raises PersistentRefusalError.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity import refresh as refresh_tokens
from core.identity import repository
from core.identity.cleanup import run_account_cleanups
from core.identity.models import OtpChallenge, RefreshToken, SmsMessage, User
from core.identity.otp import code_matches, generate_code, hash_code
from core.identity.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hash_password, verify_password
from core.identity.phones import mask_phone, normalise_phone
from core.identity.principal import STAFF_ROLES, Principal, Role
from core.identity.ratelimit import Limit, RateLimiter
from core.identity.refresh import IssuedRefreshToken, PersistentRefusalError
from core.identity.revocation import check_unavailable, end_all_sessions, end_session
from core.identity.sms import SmsDeliveryError, SmsSender
from core.identity.tokens import issue_access_token
from core.push import repository as push_repository
from core.push.repository import Device
from core.settings import Settings

logger = logging.getLogger("smartcity.identity")

OTP_WINDOW_SECONDS = 3600
LOGIN_WINDOW_SECONDS = 15 * 60
# The per-account limits: short windows, so that a stranger can make a person wait, never lock them out.
ACCOUNT_WINDOW_SECONDS = 60
# A new code does not replace the pending ones: any of the newest few still signs in. A wrong guess is
# counted against each of them, so the number of guesses per code stays otp_max_attempts.
LIVE_CODES = 5


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    user: User
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything identity holds about one person."""

    user: User
    refresh_tokens: Sequence[RefreshToken]
    sign_in_codes: Sequence[OtpChallenge]
    text_messages: Sequence[SmsMessage]
    devices: Sequence[Device]


def sms_text(code: str, ttl_seconds: int) -> str:
    # Unaccented Vietnamese: carriers' brand-name templates are unaccented, and a GSM-7 message holds 160
    # characters where a Unicode one holds 70.
    return (
        f"SmartCity: ma xac thuc cua ban la {code}, co hieu luc trong {ttl_seconds // 60} phut. "
        "Khong cung cap ma nay cho bat ky ai."
    )


# Citizens: one-time codes -----------------------------------------------------------------------------------


async def request_code(
    session: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    sender: SmsSender,
    *,
    phone: str,
    client_ip: str,
    now: datetime,
) -> int:
    """Send a sign-in code to `phone`; returns its lifetime in seconds. The answer is the same whether or not
    the phone has an account."""
    normalised = normalise_phone(phone)
    hit = await limiter.hit(
        [
            # Per client first: these stop one client, and only that client.
            Limit("otp:ip", client_ip, settings.otp_per_ip_per_hour, OTP_WINDOW_SECONDS),
            Limit(
                "otp:ip-phone",
                f"{client_ip} {normalised}",
                settings.otp_per_phone_per_hour,
                OTP_WINDOW_SECONDS,
            ),
            # Per number from every client: spaces codes out, so the owner waits a minute at most.
            Limit("otp:phone", normalised, settings.otp_per_phone_per_minute, ACCOUNT_WINDOW_SECONDS),
        ],
        now=now.timestamp(),
    )
    code = generate_code()
    secret = settings.secret_key.get_secret_value()
    await repository.add_challenge(
        session,
        OtpChallenge(
            id=uuid.uuid4(),
            phone=normalised,
            code_hash=hash_code(secret, normalised, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
        ),
    )
    try:
        await sender.send(session, normalised, sms_text(code, settings.otp_ttl_seconds))
    except SmsDeliveryError as exc:
        # Nothing was sent, so the attempt does not count against the phone's or the address's budget.
        await limiter.release(hit)
        raise ProblemError(503, "sms_unavailable", headers={"Retry-After": "60"}) from exc
    logger.info("sign-in code sent", extra={"phone": mask_phone(normalised)})
    return settings.otp_ttl_seconds


def _code_refused(code: str, phone: str, reason: str, detail: Message, **extensions: int) -> ProblemError:
    logger.warning("sign-in code refused", extra={"phone": mask_phone(phone), "reason": reason})
    return ProblemError(400, code, detail, extensions=dict(extensions))


_NEW_CODE = Message("Hãy yêu cầu mã mới", "Request a new code")


async def verify_code(
    session: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    *,
    phone: str,
    code: str,
    client_ip: str,
    now: datetime,
) -> IssuedTokens:
    """Sign a citizen in with the code sent to their phone, creating the account at the first sign-in.

    Every check counts against the client's hourly budget (a hard limit on that client only: the owner
    typing from elsewhere is not affected); each code also allows otp_max_attempts wrong tries."""
    # A malformed number is refused first: it checks nothing, so it costs nothing.
    normalised = normalise_phone(phone)
    await limiter.hit(
        [Limit("otp-verify:ip", client_ip, settings.otp_verify_per_ip_per_hour, OTP_WINDOW_SECONDS)],
        now=now.timestamp(),
    )
    secret = settings.secret_key.get_secret_value()
    live = await repository.live_challenges(
        session, normalised, now=now, max_attempts=settings.otp_max_attempts, limit=LIVE_CODES
    )
    if not live:
        raise await _no_live_code(session, settings, normalised)
    matched = next((c for c in live if code_matches(secret, normalised, code, c.code_hash)), None)
    if matched is None:
        attempts = [await repository.count_failed_attempt(session, challenge) for challenge in live]
        left = settings.otp_max_attempts - min(attempts)
        logger.warning("wrong sign-in code", extra={"phone": mask_phone(normalised), "attempts_left": left})
        if left <= 0:
            raise PersistentRefusalError(400, "otp_attempts_exceeded", _NEW_CODE)
        raise PersistentRefusalError(
            400,
            "otp_invalid",
            Message(f"Mã không đúng, còn {left} lần thử", f"Wrong code, {left} tries left"),
            extensions={"attempts_left": left},
        )
    # A sign-in uses up every pending code of the number, not only the one typed.
    for challenge in live:
        await repository.consume_challenge(session, challenge, now)
    user = await repository.get_user_by_phone(session, normalised)
    if user is None:
        user = User(id=uuid.uuid4(), role=Role.CITIZEN, phone=normalised, created_at=now, updated_at=now)
        try:
            await repository.add_user(session, user)
        except repository.DuplicateError as exc:
            raise ProblemError(409, "conflict") from exc
        logger.info("citizen account created", extra={"user_id": str(user.id)})
    elif user.role is not Role.CITIZEN or not user.is_active:
        logger.warning(
            "code sign-in refused for a non-citizen or disabled account", extra={"user_id": str(user.id)}
        )
        raise ProblemError(
            403,
            "forbidden",
            Message(
                "Tài khoản này không đăng nhập bằng mã qua tin nhắn",
                "This account cannot sign in with a text code",
            ),
        )
    return await _issue(session, settings, user, now)


async def _no_live_code(session: AsyncSession, settings: Settings, phone: str) -> ProblemError:
    """Why no code of `phone` can sign in, judged on its newest one."""
    challenge = await repository.latest_challenge(session, phone)
    if challenge is None or challenge.consumed_at is not None:
        return _code_refused(
            "otp_invalid",
            phone,
            "no pending code",
            Message(
                "Không có mã nào đang chờ xác thực cho số này; hãy yêu cầu mã mới",
                "No code is waiting for this number; request a new one",
            ),
        )
    if challenge.attempts >= settings.otp_max_attempts:
        return _code_refused("otp_attempts_exceeded", phone, "attempts exhausted", _NEW_CODE)
    return _code_refused("otp_expired", phone, "expired", _NEW_CODE)


# Staff: username and password -------------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    return username.strip().lower()


async def staff_login(
    session: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    *,
    username: str,
    password: str,
    client_ip: str,
    now: datetime,
) -> IssuedTokens:
    name = normalise_username(username)
    hit = await limiter.hit(
        [
            # Per client first: a stranger's failures stop the stranger.
            Limit("login:ip", client_ip, settings.login_attempts_per_15_minutes, LOGIN_WINDOW_SECONDS),
            # Per username from every client: a budget above one client's and a one-minute window, so that
            # guessing from many addresses is slowed and the officer waits a minute at most.
            Limit(
                "login:username",
                name,
                settings.login_failures_per_username_per_minute,
                ACCOUNT_WINDOW_SECONDS,
            ),
        ],
        now=now.timestamp(),
    )
    user = await repository.get_user_by_username(session, name)
    usable = user is not None and user.role in STAFF_ROLES and user.is_active and user.deleted_at is None
    check = await verify_password(user.password_hash if user is not None and usable else None, password)
    if user is None or not usable or not check.ok:
        logger.warning("staff sign-in refused", extra={"username": name, "client_ip": client_ip})
        raise ProblemError(401, "invalid_credentials")
    # Only failed attempts count against the limits.
    await limiter.release(hit)
    if check.new_hash is not None:
        user.password_hash = check.new_hash
        await repository.save_user(session, user, now)
    logger.info("staff signed in", extra={"user_id": str(user.id)})
    return await _issue(session, settings, user, now)


async def create_staff(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    unit_code: str | None,
    display_name: str | None,
    now: datetime,
) -> User:
    """A staff account; 409 conflict when the username is taken, 400 unit_not_found for an unknown unit."""
    if role not in STAFF_ROLES:
        raise ValueError(f"{role} is not a staff role")
    if role is not Role.ADMIN and unit_code is None:
        raise ValueError(f"a {role} belongs to a unit")
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValueError("the password length is outside the allowed range")
    name = normalise_username(username)
    taken = ProblemError(
        409,
        "conflict",
        Message(f"Tên đăng nhập {name} đã được dùng", f"The username {name} is already taken"),
    )
    if await repository.get_user_by_username(session, name) is not None:
        raise taken
    if unit_code is not None and not await repository.unit_exists(session, unit_code):
        raise ProblemError(
            400,
            "unit_not_found",
            Message(
                f"Không có đơn vị hành chính mã {unit_code}",
                f"No administrative unit has the code {unit_code}",
            ),
        )
    user = User(
        id=uuid.uuid4(),
        role=role,
        username=name,
        password_hash=await hash_password(password),
        unit_code=unit_code,
        display_name=display_name,
        created_at=now,
        updated_at=now,
    )
    try:
        await repository.add_user(session, user)
    except repository.DuplicateError as exc:
        raise taken from exc
    logger.info("staff account created", extra={"user_id": str(user.id), "role": role.value})
    return user


async def list_staff(session: AsyncSession) -> Sequence[User]:
    return await repository.list_staff(session)


# Tokens -----------------------------------------------------------------------------------------------------


def _pair(settings: Settings, user: User, issued: IssuedRefreshToken, now: datetime) -> IssuedTokens:
    principal = Principal(
        user_id=user.id, role=user.role, unit_code=user.unit_code, session_id=str(issued.row.family_id)
    )
    access, access_expires = issue_access_token(settings, principal, now)
    return IssuedTokens(
        user=user,
        access_token=access,
        access_expires_at=access_expires,
        refresh_token=issued.token,
        refresh_expires_at=issued.row.expires_at,
    )


async def _issue(session: AsyncSession, settings: Settings, user: User, now: datetime) -> IssuedTokens:
    """A token pair opening a new refresh-token family (a sign-in)."""
    issued = await refresh_tokens.issue(
        session, user.id, lifetime=timedelta(days=settings.refresh_token_days), now=now
    )
    return _pair(settings, user, issued, now)


async def refresh(
    session: AsyncSession, redis: Redis, settings: Settings, *, token: str, now: datetime
) -> IssuedTokens:
    """A new token pair for a live refresh token, which is rotated. A reused one ends its sign-in."""
    try:
        issued = await refresh_tokens.rotate(
            session, token, lifetime=timedelta(days=settings.refresh_token_days), now=now
        )
    except refresh_tokens.TokenReusedError as reused:
        try:
            await end_session(redis, settings, reused.family_id)
        except (RedisError, OSError):
            # The family is revoked all the same; its access tokens then live out their minutes.
            logger.error("cannot end the access tokens of a reused family", exc_info=True)
        raise
    user = await repository.get_user(session, issued.row.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        logger.warning("refresh for a closed account", extra={"user_id": str(issued.row.user_id)})
        raise refresh_tokens.invalid()
    return _pair(settings, user, issued, now)


async def logout(
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    principal: Principal,
    *,
    token: str,
    now: datetime,
) -> None:
    """Revoke the sign-in of `token` and end its access tokens at once (503 when that cannot be done: the
    client signs out again, and nothing was revoked meanwhile)."""
    family = await refresh_tokens.revoke(session, token, user_id=principal.user_id, now=now)
    try:
        await end_session(redis, settings, family)
    except (RedisError, OSError) as exc:
        logger.error("cannot end the access tokens of a signed-out session", exc_info=True)
        raise check_unavailable() from exc
    logger.info("signed out", extra={"user_id": str(principal.user_id)})


# The citizen's own account ----------------------------------------------------------------------------------


async def account(session: AsyncSession, principal: Principal) -> User:
    """The caller's account; 404 account_not_found once it was deleted."""
    user = await repository.get_user(session, principal.user_id)
    if user is None or user.deleted_at is not None:
        raise ProblemError(
            404,
            "account_not_found",
            Message("Tài khoản đã bị xóa hoặc không tồn tại", "The account was deleted or does not exist"),
        )
    return user


async def personal_data(session: AsyncSession, principal: Principal) -> PersonalData:
    user = await account(session, principal)
    phone = user.phone
    return PersonalData(
        user=user,
        refresh_tokens=await repository.refresh_tokens_of(session, user.id),
        sign_in_codes=await repository.challenges_for_phone(session, phone) if phone else [],
        text_messages=await repository.sms_for_phone(session, phone) if phone else [],
        devices=await push_repository.list_devices(session, user.id),
    )


async def delete_account(
    session: AsyncSession, redis: Redis, settings: Settings, principal: Principal, *, now: datetime
) -> None:
    """Erase a citizen's personal data and close the account. The row stays, anonymous, so that the reports
    the citizen filed keep an author that no longer names anyone."""
    user = await account(session, principal)
    if user.role is not Role.CITIZEN:
        raise ProblemError(
            403,
            "forbidden",
            Message(
                "Tài khoản cán bộ do quản trị viên quản lý", "Staff accounts are managed by administrators"
            ),
        )
    phone = user.phone
    user.phone = None
    user.national_id_hash = None
    user.display_name = None
    user.username = None
    user.password_hash = None
    user.is_active = False
    user.deleted_at = now
    await repository.save_user(session, user, now)
    await repository.revoke_user_tokens(session, user.id, now)
    await push_repository.delete_user_devices(session, user.id)
    # What the domains hold of the citizen (the photos of private reports), in this same transaction.
    await run_account_cleanups(session, settings, user.id)
    if phone is not None:
        await repository.forget_phone(session, phone)
    # Access tokens already handed out stop working now, not when they expire.
    await end_all_sessions(redis, settings, user.id, now)
    logger.info("citizen account deleted", extra={"user_id": str(user.id)})
