"""A deleted account stops following dossiers, and its ratings stay without naming it.

The ratings count in the agencies' satisfaction figures and their read side, so they are kept; only the link
to the person goes. Rows change in the deletion's own transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.cleanup import register_account_cleanup
from core.settings import Settings
from dossiers.citizen import repository


async def forget_dossier_follower(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    del settings
    await repository.forget_citizen(session, user_id)


register_account_cleanup(forget_dossier_follower)
