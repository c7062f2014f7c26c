"""Process configuration, read from the environment (prefix SMARTCITY_) and an optional .env file.

Defaults describe the local development stack started by `make run`: every server on loopback, on its own
port, so that a developer's machine never collides with system instances.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.office_hours import DEFAULT_OFFICE_HOURS, OfficePeriod, check_office_hours, parse_office_hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that ship in the repository for local development; refused in any other profile.
DEV_SECRETS = frozenset(
    {
        "dev-secret-change-me-not-for-production-use",
        "smartcity",
        "smartcity-dev",
        "changethis",
        "",
    }
)
MIN_SECRET_KEY_LENGTH = 32
MIN_PASSWORD_LENGTH = 12


# The severities of ioc.types.Severity, spelt here because core imports nothing of the domains.
AlarmSeverity = Literal["critical", "major", "minor", "warning", "indeterminate"]


def _default_reminders() -> dict[AlarmSeverity, int]:
    return {"critical": 300, "major": 900}


def _weak(secret: str, min_length: int) -> bool:
    return secret in DEV_SECRETS or len(secret) < min_length


class Profile(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # hide_input_in_errors: a refused value is still a secret someone typed; it must not reach the logs.
    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    profile: Profile = Profile.DEVELOPMENT
    app_name: str = "smartcity"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The busiest public routes (the dossier lookup) are served ahead of FastAPI's router (core.http.lean),
    # with the same answers at a fraction of the CPU; off, they go through the router like every other route.
    api_lean_routes: bool = True
    log_level: str = "INFO"

    database_url: SecretStr = SecretStr("postgresql+asyncpg://smartcity:smartcity@127.0.0.1:55432/smartcity")
    database_pool_size: int = 10
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:56379/0")
    # Redis connections per process. A busy pool waits up to redis_pool_timeout_seconds for a free connection
    # rather than failing the request (500 live-channel sign-ins at once must all be checked).
    redis_max_connections: int = Field(default=200, ge=2, le=10_000)
    redis_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 51883
    mqtt_username: str = "smartcity-service"
    mqtt_password: SecretStr = SecretStr("smartcity-dev")

    # 32+ bytes even in development: HS256 keys shorter than the hash are weak (and PyJWT warns).
    secret_key: SecretStr = SecretStr("dev-secret-change-me-not-for-production-use")
    state_dir: Path = PROJECT_ROOT / ".state"
    demo_units_file: Path = PROJECT_ROOT / "data" / "demo_province.geojson"
    # Readiness probes must answer quickly even when a dependency hangs.
    ready_timeout_seconds: float = Field(default=2.0, gt=0, le=30)

    # Identity: sign-in codes, tokens, rate limits.
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    otp_ttl_seconds: int = Field(default=300, ge=60, le=900)
    otp_max_attempts: int = Field(default=5, ge=1, le=10)
    # Codes one client may have sent to one number per hour (a hard limit: it stops that client only).
    otp_per_phone_per_hour: int = Field(default=5, ge=1)
    otp_per_ip_per_hour: int = Field(default=30, ge=1)
    # Codes sent to one number per minute from all clients together: it spaces out codes (text-message
    # bombing) and at worst makes the owner wait a minute, never an hour.
    otp_per_phone_per_minute: int = Field(default=3, ge=1)
    # Code checks one client address may make per hour (a hard limit on that client: guessing from one
    # address stops there, and the owner typing from elsewhere is not affected).
    otp_verify_per_ip_per_hour: int = Field(default=60, ge=1)
    # Failed staff sign-ins per client address per 15 minutes (a hard limit on that client).
    login_attempts_per_15_minutes: int = Field(default=10, ge=1)
    # Failed sign-ins for one username per minute from all clients together: above the per-client budget, so
    # one stranger alone can never reach it, and a short window, so it slows guessing without a lockout.
    login_failures_per_username_per_minute: int = Field(default=20, ge=1)
    # "outbox" keeps each SMS in the sms_outbox table (development and tests read codes there); "http" posts
    # it to a gateway at sms_gateway_url. Production refuses the outbox unless sms_outbox_demo is set, and
    # outside development and test the outbox never keeps a code readable.
    sms_sender: Literal["outbox", "http"] = "outbox"
    sms_outbox_demo: bool = False
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None

    # Events: the outbox relay and the Redis Stream it feeds.
    events_stream: str = "smartcity:events"
    events_stream_maxlen: int = Field(default=1_000_000, ge=1000)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # The live channel at /ws.
    ws_auth_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    ws_heartbeat_seconds: float = Field(default=20.0, gt=0, le=300)
    ws_max_message_bytes: int = Field(default=4096, ge=256, le=65536)
    ws_send_queue_size: int = Field(default=1000, ge=10, le=100_000)

    # Push notifications: FCM when a service-account file is configured, else the outbox sender.
    fcm_credentials_file: Path | None = None
    # Only for tests and private gateways: where firebase-admin sends FCM requests.
    fcm_endpoint: str | None = None
    push_max_attempts: int = Field(default=5, ge=1, le=20)
    push_backoff_seconds: float = Field(default=2.0, gt=0, le=600)

    # Photos: where they are kept, and what is accepted.
    media_root: Path = PROJECT_ROOT / ".state" / "media"
    # Where clients fetch photos: the API serves them at /media; a CDN mirroring that path may be named here.
    media_url_prefix: str = "/media"
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024, le=50 * 1024 * 1024)
    media_max_pixels: int = Field(default=40_000_000, ge=1_000_000, le=200_000_000)
    # Decoding: at most this many photos at once per API process; an upload waits this long for a free
    # decoder, then is answered 503 media_busy with Retry-After.
    media_decode_workers: int = Field(default=2, ge=1, le=32)
    media_decode_wait_seconds: float = Field(default=2.0, gt=0, le=30)
    # Photos decoded per hour, per citizen (or staff member) and per client address: every decode counts,
    # whether the photo is kept, refused, or its report is.
    media_decodes_per_user_per_hour: int = Field(default=60, ge=1)
    media_decodes_per_client_per_hour: int = Field(default=300, ge=1)

    # Request bodies: counted while they stream in and refused with 413 once past the limit of their kind,
    # before any parsing or policy. JSON (and any body a route does not expect) is small; an Open311 form
    # post too; a photo upload may carry its photos (media_max_bytes each) plus this slack for the report
    # part, the part headers and the boundaries.
    http_json_max_bytes: int = Field(default=64 * 1024, ge=4 * 1024, le=1024 * 1024)
    http_form_max_bytes: int = Field(default=64 * 1024, ge=4 * 1024, le=1024 * 1024)
    http_multipart_slack_bytes: int = Field(default=128 * 1024, ge=16 * 1024, le=1024 * 1024)
    # Agencies' batch calls (api/body_limits.py BATCH_ROUTES): hundreds of items of JSON in one body.
    http_batch_max_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)

    # Citizen reports: the SLA task, automatic closing and duplicate search.
    # A report is "due soon" when less than this many working hours remain before a deadline.
    feedback_due_soon_working_hours: int = Field(default=8, ge=1, le=80)
    feedback_sla_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    # A resolved report the citizen has not rated is closed this many days after resolution.
    feedback_auto_close_days: int = Field(default=7, ge=1, le=90)
    # Anonymous reads (Open311, the public feed and map) per client address per minute.
    public_reads_per_minute: int = Field(default=300, ge=1)
    # A deadline extension reaches at most this many working days beyond the current deadline (or beyond now,
    # when it has passed): more time than that is a new plan, not an extension.
    feedback_max_extension_working_days: int = Field(default=20, ge=1, le=60)
    # Submissions per citizen per hour: a phone stuck in a loop must not flood the officers' inbox.
    feedback_submissions_per_hour: int = Field(default=30, ge=1)

    # Dossier lookups by code and second factor: only failures count (a right answer proves the factor), per
    # client address (guessing from one place) and per code from every address (one dossier's factor guessed
    # from many places; each failure tells 2 of the 10,000 four-digit factors, phone's and ID number's).
    dossier_lookup_failures_per_ip_per_hour: int = Field(default=30, ge=1)
    dossier_lookup_failures_per_code_per_day: int = Field(default=10, ge=1)

    # The working calendar's office hours, the same on every working day: "HH:MM-HH:MM" periods, in order,
    # without overlap (SMARTCITY_OFFICE_HOURS="08:00-12:00,13:30-17:30"). Deadlines in working hours count
    # inside them; the public calendar shows them.
    office_hours: Annotated[tuple[OfficePeriod, ...], NoDecode] = DEFAULT_OFFICE_HOURS
    # A same-day dossier received at or after this local time is due at the next working day's closing.
    dossier_same_day_cutoff: time = time(15, 0)
    # How often the worker sends each unit's on-time figures of the month to the operations centre.
    dossier_figures_interval_seconds: float = Field(default=3600.0, gt=0, le=86400)

    # Devices and MQTT ingestion. Devices are told this address with their credentials (the broker as the
    # device network sees it, which is not the backend's own mqtt_host in production).
    mqtt_device_host: str = "127.0.0.1"
    mqtt_device_port: int = 51883
    # How long the API waits for the broker to confirm a credential change before answering 503.
    mqtt_admin_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # The consumer group: every `smartcity ingest` of one deployment shares it and splits the messages.
    ingest_group: str = Field(default="ingest", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Each consumer needs its own fixed id: its broker session (and the messages queued in it while it
    # restarts) is found again by this id.
    ingest_client_id: str = Field(default="ingest-0", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    ingest_batch_size: int = Field(default=2000, ge=1, le=20_000)
    ingest_batch_seconds: float = Field(default=0.2, gt=0, le=10)
    # Where `smartcity ingest` serves its Prometheus /metrics (loopback in development).
    ingest_metrics_host: str = "127.0.0.1"
    ingest_metrics_port: int = Field(default=59101, ge=0, le=65535)
    # Each device's budget in one consumer (iot/ingest/budget.py), per one-minute window: messages over it
    # are acknowledged and counted, not stored; dead letters over theirs are counted, not written. 1,200 (20 a
    # second) is far above any type's reporting (one message per 30 s at most): room for a device's backlog.
    ingest_device_messages_per_minute: int = Field(default=1200, ge=1, le=1_000_000)
    ingest_device_dead_letters_per_minute: int = Field(default=20, ge=0, le=100_000)
    # Messages larger than this are dead-lettered; it stays below the broker's max_packet_size.
    ingest_max_payload_bytes: int = Field(default=64 * 1024, ge=1024, le=200 * 1024)
    # Raw readings are kept this many days (daily partitions dropped whole); hourly rollups much longer.
    iot_readings_retention_days: int = Field(default=30, ge=1, le=3650)
    iot_rollup_retention_days: int = Field(default=730, ge=1, le=36500)
    iot_dead_letter_retention_days: int = Field(default=30, ge=1, le=3650)
    # The device task of the worker: liveness and coalesced live updates, and the storage upkeep.
    iot_live_interval_seconds: float = Field(default=1.0, ge=1.0, le=60)
    iot_upkeep_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    # The alert rules: how often each consumer and the worker look for changed rules or devices (a NOTIFY on
    # smartcity_rules reloads at once), and the worker's time-driven pass (holds reached, escalations,
    # clearing by absence, silent devices) with at most this many rule states a pass.
    ioc_rules_refresh_seconds: float = Field(default=5.0, gt=0, le=300)
    # Off: `smartcity ingest` stores messages without evaluating the rules (alarms then come only from the
    # worker's time-driven pass and from reports); the ingestion benchmark's baseline.
    ioc_rules_in_ingest: bool = True
    ioc_rules_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    ioc_rules_tick_batch: int = Field(default=1000, ge=1, le=100_000)

    # The operations centre's alarms: from which severity a unit's officers get a push and field staff are
    # dispatched, and how often an unacknowledged alarm reminds, per severity (a severity left out never
    # reminds), for units (and their provinces) without settings of their own; the alerts task's fallback
    # poll when no NOTIFY wakes it.
    ioc_alerts_push_min_severity: AlarmSeverity = "major"
    ioc_alerts_dispatch_min_severity: AlarmSeverity = "major"
    ioc_alerts_reminder_seconds: dict[AlarmSeverity, Annotated[int, Field(ge=60, le=86_400)]] = Field(
        default_factory=_default_reminders
    )
    ioc_alerts_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # Field dispatch (ioc/dispatch). A position on duty older than this is treated as off duty and purged.
    ioc_dispatch_position_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    # Alarms at or above ioc_alerts_dispatch_min_severity (or the unit's alert settings) are offered: each
    # ring offers the alarm to this many of the nearest available staff, within the radius times the
    # ring's number; after the last ring nobody accepted, the unit's officers are told.
    ioc_dispatch_ring_size: int = Field(default=3, ge=1, le=50)
    ioc_dispatch_radius_m: float = Field(default=5000.0, gt=0, le=200_000)
    ioc_dispatch_answer_seconds: float = Field(default=120.0, ge=5, le=3600)
    ioc_dispatch_max_rings: int = Field(default=3, ge=1, le=10)
    ioc_dispatch_tick_seconds: float = Field(default=2.0, gt=0, le=60)

    # Public warnings (CAP 1.2). The sender names the issuing office in every message; CAP forbids spaces,
    # commas and the characters < and & in it, and recommends an address-like name under the agency's domain.
    ioc_warnings_sender: str = Field(
        default="ioc@ninhbinh.gov.vn", min_length=3, max_length=255, pattern=r"^[^\s,<&]+$"
    )
    # Incidents: how often the worker closes open incidents whose alarms cleared and reports were all done.
    ioc_incidents_sweep_seconds: float = Field(default=60.0, gt=0, le=3600)
    # The wall page (/ioc): an optional MapLibre style URL drawn under the layers; empty, the administrative
    # units' vector tiles are the base map (so the wall works with no internet). The bundle's folder is built
    # by scripts/bootstrap.sh (npm ci and esbuild) from ioc/wall/web.
    ioc_basemap_style_url: str = Field(default="", max_length=2000, pattern=r"^(https?://\S+)?$")
    ioc_wall_dist_dir: Path = PROJECT_ROOT / "ioc" / "wall" / "static" / "dist"

    @field_validator("office_hours", mode="before")
    @classmethod
    def _parse_office_hours(cls, value: object) -> object:
        # The environment gives text; code (and model_copy) may give the periods themselves.
        return parse_office_hours(value) if isinstance(value, str) else value

    @field_validator("office_hours", mode="after")
    @classmethod
    def _check_office_hours(cls, value: tuple[OfficePeriod, ...]) -> tuple[OfficePeriod, ...]:
        return check_office_hours(value)

    @model_validator(mode="after")
    def _cutoff_inside_office_hours(self) -> Self:
        cutoff = self.dossier_same_day_cutoff
        opens, closes = self.office_hours[0][0], self.office_hours[-1][1]
        if cutoff.tzinfo is not None or not opens < cutoff <= closes:
            raise ValueError(
                f"SMARTCITY_DOSSIER_SAME_DAY_CUTOFF {cutoff.isoformat()} must be a local time after the "
                f"first opening ({opens:%H:%M}) and no later than the last closing ({closes:%H:%M})"
            )
        return self

    @model_validator(mode="after")
    def _sms_gateway_configured(self) -> Self:
        # Fail at start-up, not on the first citizen's sign-in.
        if self.sms_sender == "http" and not self.sms_gateway_url:
            raise ValueError("SMARTCITY_SMS_SENDER=http needs SMARTCITY_SMS_GATEWAY_URL")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.profile is Profile.DEVELOPMENT or self.profile is Profile.TEST:
            return self
        weak: list[str] = []
        if _weak(self.secret_key.get_secret_value(), MIN_SECRET_KEY_LENGTH):
            weak.append("SMARTCITY_SECRET_KEY")
        if _weak(self.mqtt_password.get_secret_value(), MIN_PASSWORD_LENGTH):
            weak.append("SMARTCITY_MQTT_PASSWORD")
        if _weak(urlsplit(self.database_dsn).password or "", MIN_PASSWORD_LENGTH):
            weak.append("SMARTCITY_DATABASE_URL (password)")
        if _weak(urlsplit(self.redis_dsn).password or "", MIN_PASSWORD_LENGTH):
            weak.append("SMARTCITY_REDIS_URL (password)")
        if weak:
            raise ValueError(
                f"default or weak secrets are not allowed in the {self.profile} profile: {', '.join(weak)}"
            )
        return self

    @model_validator(mode="after")
    def _real_sms_in_production(self) -> Self:
        # After the secrets, so that a stack with both wrong names the secrets first. The outbox sends
        # nothing: in production no citizen would get a code.
        if self.profile is Profile.PRODUCTION and self.sms_sender == "outbox" and not self.sms_outbox_demo:
            raise ValueError(
                "the production profile needs a real SMS gateway: set SMARTCITY_SMS_SENDER=http and "
                "SMARTCITY_SMS_GATEWAY_URL (or SMARTCITY_SMS_OUTBOX_DEMO=true for a demo without texts)"
            )
        return self

    @property
    def reveals_codes(self) -> bool:
        """Whether sign-in codes may be stored readable (the sms_outbox of development and test only)."""
        return self.profile is Profile.DEVELOPMENT or self.profile is Profile.TEST

    @property
    def database_dsn(self) -> str:
        return self.database_url.get_secret_value()

    @property
    def redis_dsn(self) -> str:
        return self.redis_url.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
