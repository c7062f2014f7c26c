"""The agency behind a sync call: the route dependency every sync route takes instead of the bare key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.http.deps import SessionDep
from core.http.policies import require_api_key
from core.identity.api_keys import ApiClient
from dossiers.agencies.service import SYNC_SCOPE, agency_of
from dossiers.models import Agency

SyncClient = Annotated[ApiClient, require_api_key(SYNC_SCOPE)]


async def _sync_agency(client: SyncClient, session: SessionDep) -> Agency:
    return await agency_of(session, client)


# The policy is the key's scope (require_api_key); the agency comes with it, or 403 api_key_not_bound.
SyncAgency = Annotated[Agency, Depends(_sync_agency)]
