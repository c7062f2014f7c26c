"""FCM topic names.

A topic message is shown by the phone's system tray when the app is in the background, so it must already be
in the reader's language: every topic exists once per language (`unit-13666-vi`, `unit-13666-en`).

Subscriptions are made by the app with the FCM client SDK (`subscribeToTopic("unit-13666-vi")`) for the wards
the person chose to follow, in the app's language, and changed when either changes. The server never
subscribes tokens: which wards a citizen follows is a choice made on the phone, and a client-side subscription
needs no server round trip and no token bookkeeping here. The server only publishes to topics.

Public warnings do not use topics: a registration also carries the wards its person follows (`wards`), so a
warning reaches exactly the phones following a ward it concerns, each with its own delivery status
(service.enqueue_to_wards).
"""

from __future__ import annotations

import re

from core.push.models import TOPIC_MAX_LENGTH, PushLanguage

# What FCM accepts in a topic name; the language suffix is added to it.
TOPIC_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.~%]{1," + str(TOPIC_MAX_LENGTH - 3) + "}$")
_UNIT_CODE = re.compile(r"^([0-9]{2}|[0-9]{5})$")


def unit_topic(unit_code: str) -> str:
    """The topic of an administrative unit (province or ward), without its language suffix."""
    if not _UNIT_CODE.match(unit_code):
        raise ValueError(f"not an administrative unit code: {unit_code!r}")
    return f"unit-{unit_code}"


def language_topic(topic: str, language: PushLanguage) -> str:
    """The FCM topic phones in `language` subscribe to, e.g. unit-13666-vi."""
    if not TOPIC_PATTERN.match(topic):
        raise ValueError(f"not a valid FCM topic name: {topic!r}")
    return f"{topic}-{language.value}"
