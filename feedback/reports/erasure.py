"""A deleted account takes the photos of its private reports with it.

A private report's photos were shown only to its reporter and staff; once the reporter is gone they have no
reason to stay. Public reports keep theirs (the report stays, with an anonymous author, and its photos were
public already). Rows go in the deletion's transaction; files once it commits, and only files no other photo
row uses, since the same picture on another report is the same content-addressed file.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.cleanup import after_commit, register_account_cleanup
from core.media import media_storage
from core.settings import Settings
from feedback.reports import repository


async def erase_private_photos(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    keys = await repository.delete_private_photos_of(session, user_id)
    if not keys:
        return
    storage = media_storage(settings)

    def remove_files() -> None:
        for key in keys:
            storage.delete(key)

    after_commit(session, remove_files, what="private report photos")


register_account_cleanup(erase_private_photos)
