"""The alert-rule routes: admins write, version, enable, disable and delete the rules the engine evaluates.

Reading is for admins too: officers see what a rule raised on the alarm itself (type, severity, title,
details), and a rule's thresholds and scope across the province are the admins' business. The rules and
their checks are in ioc.rules.service and ioc.rules.validation.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from core.http.deps import SessionDep
from core.http.policies import Admin
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from ioc.rules import service
from ioc.rules.definition import ALARM_TYPE_PATTERN
from ioc.rules.schemas import (
    RuleCreate,
    RuleFilter,
    RulePage,
    RuleRead,
    RuleReplace,
    RuleVersionPage,
    RuleVersionRead,
)
from ioc.types import RuleKind

RuleId = Annotated[uuid.UUID, Path(description="The rule's id.")]

ADMIN_ONLY = responses(UNAUTHENTICATED, problem(403, "Only admins manage alert rules (code forbidden)"))
NOT_FOUND = problem(404, "No such rule, or it was deleted (code rule_not_found)")
_INVALID = problem(
    422,
    "The definition is not valid: a field (code validation_error), a metric the device types do not report "
    "(unknown_metric), a device type the kind cannot watch (device_type_not_allowed), a condition that can "
    "never hold (impossible_condition), a clearing that can never hold (impossible_clearing) or can hold "
    "while the condition does (clearing_overlaps), clear.severities outside the ladder (invalid_severities), "
    "a unit that does not exist (unit_not_found), a report category that does not exist "
    "(category_not_found), a zone that is not a valid polygon (invalid_zone), outside the province "
    "(outside_province) or outside the listed units (zone_outside_units). Nothing is stored.",
)
_ETAG: dict[str, Any] = {
    "ETag": {
        "description": 'The rule\'s current version, "v{n}": send it back as If-Match to change the rule.',
        "schema": {"type": "string", "examples": ['"v3"']},
    }
}

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='The ETag of the version you edited ("v3"): if the rule has changed since, the change is '
        "refused with 412 instead of overwriting someone else's.",
    ),
]

router = APIRouter(prefix="/api/v1/alert-rules", tags=["alert-rules"])


def _tagged(response: Response, rule: RuleRead) -> RuleRead:
    response.headers["ETag"] = service.etag(rule.current_version)
    return rule


@router.post(
    "",
    status_code=201,
    response_model=RuleRead,
    summary="Create a rule (version 1)",
    responses=responses(
        {201: {"description": "The rule, at version 1.", "headers": _ETAG}}, ADMIN_ONLY, _INVALID
    ),
)
async def create_rule(db: SessionDep, principal: Admin, body: RuleCreate, response: Response) -> RuleRead:
    rule = await service.create_rule(db, principal, body)
    response.headers["Location"] = f"{router.prefix}/{rule.id}"
    return _tagged(response, rule)


@router.get(
    "",
    response_model=RulePage,
    summary="Rules, newest first",
    responses=responses(ADMIN_ONLY, INVALID_CURSOR),
)
async def list_rules(
    db: SessionDep,
    _: Admin,
    kind: RuleKind | None = None,
    enabled: bool | None = None,
    alarm_type: Annotated[str | None, Query(pattern=ALARM_TYPE_PATTERN)] = None,
    unit_code: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{2}([0-9]{3})?$",
            description="Rules that apply in this unit: scoped to it or to its province, or to no unit in "
            "particular (a zone is not considered).",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RulePage:
    filters = RuleFilter(
        kind=None if kind is None else kind.value, enabled=enabled, alarm_type=alarm_type, unit_code=unit_code
    )
    return await service.list_rules(db, filters, cursor=cursor, limit=limit)


@router.get(
    "/{rule_id}",
    response_model=RuleRead,
    summary="One rule and its current definition",
    responses=responses({200: {"description": "The rule.", "headers": _ETAG}}, ADMIN_ONLY, NOT_FOUND),
)
async def get_rule(db: SessionDep, _: Admin, rule_id: RuleId, response: Response) -> RuleRead:
    return _tagged(response, await service.read_rule(db, rule_id))


@router.put(
    "/{rule_id}",
    response_model=RuleRead,
    summary="Replace the definition: it becomes the next version",
    responses=responses(
        {200: {"description": "The rule at its new version.", "headers": _ETAG}},
        ADMIN_ONLY,
        NOT_FOUND,
        problem(409, "The definition is of another kind than the rule (code kind_immutable)"),
        problem(412, "If-Match does not name the rule's current version (code precondition_failed)"),
        _INVALID,
    ),
)
async def replace_rule(
    db: SessionDep,
    principal: Admin,
    rule_id: RuleId,
    body: RuleReplace,
    response: Response,
    if_match: IfMatch = None,
) -> RuleRead:
    return _tagged(response, await service.replace_rule(db, principal, rule_id, body, if_match))


@router.post(
    "/{rule_id}/enable",
    response_model=RuleRead,
    summary="Enable a rule (no change if it is enabled)",
    responses=responses(ADMIN_ONLY, NOT_FOUND),
)
async def enable_rule(db: SessionDep, _: Admin, rule_id: RuleId, response: Response) -> RuleRead:
    return _tagged(response, await service.set_enabled(db, rule_id, True))


@router.post(
    "/{rule_id}/disable",
    response_model=RuleRead,
    summary="Disable a rule: kept, never evaluated until enabled again",
    responses=responses(ADMIN_ONLY, NOT_FOUND),
)
async def disable_rule(db: SessionDep, _: Admin, rule_id: RuleId, response: Response) -> RuleRead:
    return _tagged(response, await service.set_enabled(db, rule_id, False))


@router.delete(
    "/{rule_id}",
    status_code=204,
    summary="Delete a rule: it is no longer evaluated or found; its alarms keep naming it",
    responses=responses(ADMIN_ONLY, NOT_FOUND),
)
async def delete_rule(db: SessionDep, _: Admin, rule_id: RuleId) -> Response:
    await service.delete_rule(db, rule_id)
    return Response(status_code=204)


@router.get(
    "/{rule_id}/versions",
    response_model=RuleVersionPage,
    summary="A rule's history, newest version first",
    responses=responses(ADMIN_ONLY, NOT_FOUND, INVALID_CURSOR),
)
async def list_versions(
    db: SessionDep,
    _: Admin,
    rule_id: RuleId,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RuleVersionPage:
    return await service.list_versions(db, rule_id, cursor=cursor, limit=limit)


@router.get(
    "/{rule_id}/versions/{version}",
    response_model=RuleVersionRead,
    summary="One version of a rule",
    responses=responses(
        ADMIN_ONLY,
        problem(404, "No such rule (code rule_not_found) or version (code rule_version_not_found)"),
    ),
)
async def get_version(
    db: SessionDep,
    _: Admin,
    rule_id: RuleId,
    version: Annotated[int, Path(ge=1, le=service.MAX_VERSION, description="The version's number.")],
) -> RuleVersionRead:
    return await service.read_version(db, rule_id, version)
