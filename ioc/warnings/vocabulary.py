"""CAP 1.2's closed vocabularies, spelled as the standard spells them (they appear as is in the XML), and the
states a warning goes through."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    GEO = "Geo"  # geophysical (landslide, earthquake)
    MET = "Met"  # meteorological (flood, storm)
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"  # pollution and other environmental
    TRANSPORT = "Transport"
    INFRA = "Infra"  # utilities, telecommunications, other infrastructure
    CBRNE = "CBRNE"  # chemical, biological, radiological, nuclear or high-yield explosive
    OTHER = "Other"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapSeverity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


# These wake the phone (high priority push): a threat to life or property.
URGENT_SEVERITIES = frozenset({CapSeverity.EXTREME, CapSeverity.SEVERE})


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class MsgType(StrEnum):
    """The kinds of message a warning's chain holds (CAP also has Ack and Error, which we never send)."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class WarningState(StrEnum):
    """Where a warning stands at the time of the read (derived, never stored)."""

    UPCOMING = "upcoming"  # published, its onset still ahead
    IN_EFFECT = "in_effect"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
