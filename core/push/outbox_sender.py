"""The default sender: records each message in push_outbox instead of sending it.

Used when no FCM service account is configured (development, demos, tests): the notification goes through
the same dispatcher, statuses and retries, and push_outbox shows the exact FCM v1 message that would have gone
out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.push import repository
from core.push.senders import Outcome, PushMessage, PushSender, SendResult, fcm_message_json


class OutboxPushSender(PushSender):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def send_to_tokens(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        return await self._record(messages)

    async def send_to_topic(self, message: PushMessage) -> SendResult:
        return (await self._record([message]))[0]

    async def _record(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        if not messages:
            return []
        # Its own unit of work, like a call to FCM: once this returns the message "went out".
        async with self._sessionmaker() as session, session.begin():
            ids = await repository.add_outbox_messages(
                session,
                [(m.notification_id, m.token, m.topic, fcm_message_json(m)) for m in messages],
            )
        return [SendResult(Outcome.OK, message_id=f"outbox/{row_id}") for row_id in ids]

    async def close(self) -> None:
        """Nothing to release: the sessions belong to the caller's engine."""
