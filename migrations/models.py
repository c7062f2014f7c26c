"""Every table model, imported so that the metadata Alembic compares against is complete."""

from core.db import metadata
from core.events.models import Announcement, OutboxEvent
from core.identity.models import ApiKey, OtpChallenge, RefreshToken, SmsMessage, User
from core.push.models import DeviceToken, Notification, PushOutboxMessage
from core.units.models import AdminUnit
from feedback.models import Department, FeedbackCategory

target_metadata = metadata

__all__ = [
    "AdminUnit", "Announcement", "ApiKey", "Department", "DeviceToken", "FeedbackCategory", "Notification",
    "OtpChallenge", "OutboxEvent",
    "PushOutboxMessage", "RefreshToken", "SmsMessage", "User", "target_metadata",
]
