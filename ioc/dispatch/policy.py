"""The policy of the routes only field staff call: their duty, their offers and their answers."""

from __future__ import annotations

from typing import Annotated

from core.http.policies import require_roles
from core.identity.principal import Principal, Role

FIELD_STAFF = require_roles(Role.FIELD_STAFF)
FieldStaff = Annotated[Principal, FIELD_STAFF]
