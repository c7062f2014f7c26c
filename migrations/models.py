"""Every table model, imported so that the metadata Alembic compares against is complete."""

from core.db import metadata
from core.events.models import Announcement, OutboxEvent
from core.identity.models import ApiKey, OtpChallenge, RefreshToken, SmsMessage, User
from core.push.models import DeviceToken, Notification, PushOutboxMessage
from core.units.models import AdminUnit
from dossiers.models import (
    Agency,
    AgencyKey,
    Apology,
    Dossier,
    DossierFollower,
    DossierRating,
    DossierStep,
    Procedure,
)
from feedback.catalogue.models import Department, FeedbackCategory
from feedback.reports.models import (
    IdempotencyKey,
    Report,
    ReportFollower,
    ReportPhoto,
    ReportSupport,
    TimelineEntry,
)
from ioc.alarms.models import Alarm, AlarmEntry, AlertPreferences, UnitAlertSettings
from ioc.dispatch.models import Dispatch, DispatchOffer, DispatchPhoto, FieldStatus, ProgressNote
from ioc.incidents.models import Incident, IncidentMember
from ioc.map.models import ReportCell, ReportDay, UnitShape
from ioc.rules.models import AlertRule, AlertRuleVersion, DeviceStamp, RuleState
from ioc.warnings.models import PublicWarning, WarningMessage
from iot.registry.models import Device
from iot.telemetry.models import (
    CameraEvent,
    DeadLetter,
    HourlyRollup,
    LatestState,
    Reading,
    RollupHour,
)

target_metadata = metadata

__all__ = [
    "AdminUnit",
    "Agency",
    "AgencyKey",
    "Alarm",
    "AlarmEntry",
    "AlertPreferences",
    "AlertRule",
    "AlertRuleVersion",
    "Announcement",
    "ApiKey",
    "Apology",
    "CameraEvent",
    "DeadLetter",
    "Department",
    "Device",
    "DeviceStamp",
    "DeviceToken",
    "Dispatch",
    "DispatchOffer",
    "DispatchPhoto",
    "Dossier",
    "DossierFollower",
    "DossierRating",
    "DossierStep",
    "FeedbackCategory",
    "FieldStatus",
    "HourlyRollup",
    "IdempotencyKey",
    "Incident",
    "IncidentMember",
    "LatestState",
    "Notification",
    "OtpChallenge",
    "OutboxEvent",
    "Procedure",
    "ProgressNote",
    "PublicWarning",
    "PushOutboxMessage",
    "Reading",
    "RefreshToken",
    "Report",
    "ReportCell",
    "ReportDay",
    "ReportFollower",
    "ReportPhoto",
    "ReportSupport",
    "RollupHour",
    "RuleState",
    "SmsMessage",
    "TimelineEntry",
    "UnitAlertSettings",
    "UnitShape",
    "User",
    "WarningMessage",
    "target_metadata",
]
