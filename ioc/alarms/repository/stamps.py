"""Before an alarm of a device is cleared by hand: the device's device_state row locked and its rules' stamp
bumped (alert_device_stamps, ioc.rules.repository.states).

A consumer keeps the rule states of the devices it has seen in memory, each with whether its alarm is still
active, and trusts that copy while the device's stamp stays as it left it. Clearing the alarm changes what
the copy says, so the stamp moves with it; the row is locked first (as every writer of the rules' view of a
device does, the order being device_state, then alarms) so that no batch is evaluating the device meanwhile.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# An alarm of another source, or of a device that never spoke (no row, nothing kept of it), bumps nothing.
_TOUCH = text("""
WITH locked AS (
    SELECT ds.device_id FROM device_state ds
    WHERE ds.device_id = (SELECT a.source_key::uuid FROM alarms a
                          WHERE a.id = :alarm_id AND a.source_kind = 'device')
    FOR UPDATE OF ds
)
INSERT INTO alert_device_stamps AS t (device_id, stamp)
SELECT device_id, 1 FROM locked
ON CONFLICT (device_id) DO UPDATE SET stamp = t.stamp + 1
""")


async def touch_source(session: AsyncSession, alarm_id: uuid.UUID) -> None:
    """Lock the device of the alarm and bump its stamp, in the session's transaction (before the alarm's
    own row is locked)."""
    await session.execute(_TOUCH, {"alarm_id": alarm_id})
