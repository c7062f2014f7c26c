"""Writing and reading alert rules: the admins' side of the rules. Writes in the caller's transaction; never
commits.

A rule is created at version 1; each new definition is the next version, and the versions stay, so an alarm
keeps naming the one that raised it. A rule's kind never changes. Every change (a version, enabling,
disabling, deleting) bumps `updated_at` and NOTIFYs the rule engine in the same transaction, so the engine
reloads exactly when the change is committed. Two admins editing at once queue on the rule's row lock; with
`If-Match` the second one is refused instead of silently overwriting the first.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from geoalchemy2 import WKTElement
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import decode_cursor, invalid_cursor, keyset_page
from core.db import utcnow
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from ioc.rules.definition import RuleDefinition
from ioc.rules.models import AlertRule, AlertRuleVersion
from ioc.rules.repository import definitions as repository
from ioc.rules.schemas import (
    RuleCreate,
    RuleFilter,
    RulePage,
    RuleRead,
    RuleReplace,
    RuleVersionPage,
    RuleVersionRead,
)
from ioc.rules.validation import Rule, check_definition, zone_wkt

# The orderings of the two lists, named in their cursors.
RULES_SORT = "alert_rules"
VERSIONS_SORT = "alert_rule_versions"
# Versions are numbered in a PostgreSQL integer.
MAX_VERSION = 2**31 - 1

DEFINITION: TypeAdapter[Rule] = TypeAdapter(RuleDefinition)


def etag(version: int) -> str:
    """The rule's entity tag: its current version."""
    return f'"v{version}"'


def rule_not_found(rule_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "rule_not_found",
        Message(f"Không có quy tắc cảnh báo {rule_id}", f"No alert rule has the id {rule_id}"),
    )


def _matches(if_match: str, current: str) -> bool:
    # RFC 9110: a list of entity tags, or "*"; If-Match compares strongly: a weak tag (W/"v1") never matches.
    tags = {tag.strip() for tag in if_match.split(",")}
    return "*" in tags or current in tags


def _read(rule: AlertRule, definition: Rule) -> RuleRead:
    return RuleRead(
        id=rule.id,
        kind=rule.kind,
        enabled=rule.enabled,
        current_version=rule.current_version,
        definition=definition,
        created_at=rule.created_at,
        created_by=rule.created_by,
        updated_at=rule.updated_at,
    )


def _read_row(row: tuple[AlertRule, AlertRuleVersion]) -> RuleRead:
    rule, version = row
    return _read(rule, DEFINITION.validate_python(version.definition))


def _read_version(version: AlertRuleVersion) -> RuleVersionRead:
    return RuleVersionRead(
        rule_id=version.rule_id,
        version=version.version,
        definition=DEFINITION.validate_python(version.definition),
        created_at=version.created_at,
        created_by=version.created_by,
        note=version.note,
    )


def _version(
    rule_id: uuid.UUID, number: int, definition: Rule, author: uuid.UUID, at: datetime, note: str | None
) -> AlertRuleVersion:
    """The stored version: the definition in its JSON form, and its scope copied into columns."""
    scope = definition.scope
    return AlertRuleVersion(
        rule_id=rule_id,
        version=number,
        definition=definition.model_dump(mode="json"),
        name=definition.name,
        alarm_type=definition.alarm_type,
        unit_codes=scope.unit_codes,
        device_types=None if scope.device_types is None else [kind.value for kind in scope.device_types],
        zone=None if scope.zone is None else WKTElement(zone_wkt(scope.zone), srid=4326),
        created_by=author,
        created_at=at,
        note=note,
    )


async def _rule(session: AsyncSession, rule_id: uuid.UUID, *, for_update: bool = False) -> AlertRule:
    rule = await repository.find_rule(session, rule_id, for_update=for_update)
    if rule is None:
        raise rule_not_found(rule_id)
    return rule


async def _changed(session: AsyncSession, rule: AlertRule, at: datetime) -> None:
    rule.updated_at = at
    await session.flush()
    await repository.notify_rules_changed(session, rule.id)


async def create_rule(session: AsyncSession, principal: Principal, body: RuleCreate) -> RuleRead:
    definition: Rule = body.definition
    await check_definition(session, definition)
    now = utcnow()
    rule = AlertRule(
        kind=definition.kind.value,
        current_version=1,
        enabled=body.enabled,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    # One flush for both rows: the unit of work inserts the rule before its version (the foreign key).
    session.add(rule)
    session.add(_version(rule.id, 1, definition, principal.user_id, now, body.note))
    await _changed(session, rule, now)
    return _read(rule, definition)


async def replace_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID, body: RuleReplace, if_match: str | None
) -> RuleRead:
    """The definition as the rule's next version. Checked in this order: the rule exists, If-Match names its
    current version (412 otherwise), the kind is the rule's (409), the definition is sound (422)."""
    rule = await _rule(session, rule_id, for_update=True)
    current = etag(rule.current_version)
    if if_match is not None and not _matches(if_match, current):
        raise ProblemError(
            412,
            "precondition_failed",
            Message(
                f"Quy tắc đã được sửa, phiên bản hiện tại là {current}: hãy tải lại trước khi sửa",
                f"The rule has changed; its current version is {current}: reload it before editing",
            ),
            extensions={"current_version": rule.current_version},
        )
    definition: Rule = body.definition
    if definition.kind.value != rule.kind:
        raise ProblemError(
            409,
            "kind_immutable",
            Message(
                f"Quy tắc thuộc loại {rule.kind}, không thể đổi sang {definition.kind.value}: "
                "hãy tạo quy tắc mới",
                f"The rule is of kind {rule.kind} and cannot become {definition.kind.value}: "
                "create a new rule",
            ),
        )
    await check_definition(session, definition)
    if rule.current_version >= MAX_VERSION:
        raise ProblemError(
            409,
            "conflict",
            Message("Quy tắc đã có quá nhiều phiên bản", "The rule has too many versions"),
        )
    now = utcnow()
    rule.current_version += 1
    session.add(_version(rule.id, rule.current_version, definition, principal.user_id, now, body.note))
    await _changed(session, rule, now)
    return _read(rule, definition)


async def set_enabled(session: AsyncSession, rule_id: uuid.UUID, enabled: bool) -> RuleRead:
    """Enable or disable the rule; asking for what it already is changes nothing."""
    rule = await _rule(session, rule_id, for_update=True)
    if rule.enabled != enabled:
        rule.enabled = enabled
        await _changed(session, rule, utcnow())
    return await read_rule(session, rule_id)


async def delete_rule(session: AsyncSession, rule_id: uuid.UUID) -> None:
    """Soft delete: the rule and its versions stay for the alarms that name them, and it is never evaluated,
    listed or found again."""
    rule = await _rule(session, rule_id, for_update=True)
    now = utcnow()
    rule.deleted_at = now
    await _changed(session, rule, now)


async def read_rule(session: AsyncSession, rule_id: uuid.UUID) -> RuleRead:
    row = await repository.rule_with_version(session, rule_id)
    if row is None:
        raise rule_not_found(rule_id)
    return _read_row(row)


async def list_rules(
    session: AsyncSession, filters: RuleFilter, *, cursor: str | None, limit: int
) -> RulePage:
    """Newest first, keyset on (created_at, id), so new rules never shift a page."""
    position = decode_cursor(RULES_SORT, cursor)
    rows = await repository.page_of_rules(session, filters, position, limit)
    page = keyset_page(
        rows, limit, sort=RULES_SORT, position=lambda row: (row[0].created_at, row[0].id), item=_read_row
    )
    return RulePage(items=page.items, next_cursor=page.next_cursor)


async def list_versions(
    session: AsyncSession, rule_id: uuid.UUID, *, cursor: str | None, limit: int
) -> RuleVersionPage:
    """The history, newest first. The cursor carries the last version's time and, as its id, its number."""
    await _rule(session, rule_id)
    position = decode_cursor(VERSIONS_SORT, cursor)
    before = None
    if position is not None:
        before = position.id.int
        if not 1 <= before <= MAX_VERSION:
            raise invalid_cursor()
    versions = await repository.page_of_versions(session, rule_id, before, limit)
    page = keyset_page(
        versions,
        limit,
        sort=VERSIONS_SORT,
        position=lambda version: (version.created_at, uuid.UUID(int=version.version)),
        item=_read_version,
    )
    return RuleVersionPage(items=page.items, next_cursor=page.next_cursor)


async def read_version(session: AsyncSession, rule_id: uuid.UUID, number: int) -> RuleVersionRead:
    await _rule(session, rule_id)
    version = await repository.find_version(session, rule_id, number)
    if version is None:
        raise ProblemError(
            404,
            "rule_version_not_found",
            Message(
                f"Quy tắc {rule_id} không có phiên bản {number}",
                f"The rule {rule_id} has no version {number}",
            ),
        )
    return _read_version(version)
