"""The simulated fleet in the registry: placed inside the demo wards, reused across runs.

`devices` mode registers each device through the registry and gives it its own broker credentials (kept in
a 0600 file under the state folder, re-issued when missing or refused). `gateway` mode inserts thousands of
devices in one statement and publishes for them over a few connections of one gateway account.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from iot.registry import credentials
from iot.registry import service as registry
from iot.registry.broker_admin import BrokerAdmin
from iot.registry.schemas import DeviceCreate, DevicePoint
from iot.simulator import repository
from iot.simulator.scenario import SimDevice
from iot.types import DeviceType

TYPES: tuple[DeviceType, ...] = tuple(DeviceType)
GATEWAY_USERNAME = "smartcity-simulator"


def state_folder(settings: Settings) -> Path:
    folder = settings.state_dir / "simulator"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _read_secrets(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_secrets(path: Path, data: dict[str, str]) -> None:
    """Owner-only from the first byte: the file is created 0600, then moved into place."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.chmod(temporary, 0o600)
    temporary.replace(path)


class SecretFile:
    """Passwords by username, in a 0600 JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = _read_secrets(path)

    def get(self, username: str) -> str | None:
        return self.values.get(username)

    def put(self, username: str, password: str) -> None:
        self.values[username] = password
        _write_secrets(self.path, self.values)


async def ensure_fleet(settings: Settings, mode: str, per_type: int, seed: int) -> list[SimDevice]:
    """`per_type` devices of every type for `mode`, creating those missing. Index i of type t stands on the
    (i * types + t)-th seeded spot, so the first device of each type lands in a different ward."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            known = await repository.simulated(session, mode)
            missing = [(kind, i) for i in range(per_type) for kind in TYPES if (kind.value, i) not in known]
            if missing:
                places = await repository.spots(session, per_type * len(TYPES), seed)
                if len(places) < per_type * len(TYPES):
                    raise RuntimeError("the demo wards are missing: run `smartcity seed` first")
                for kind in TYPES:
                    wanted = [i for (k, i) in missing if k is kind]
                    spots = [places[i * len(TYPES) + TYPES.index(kind)] for i in wanted]
                    if mode == "gateway":
                        ids = await _insert_run(session, kind, wanted, spots)
                    else:
                        ids = [
                            await _register(session, kind, i, spot)
                            for i, spot in zip(wanted, spots, strict=True)
                        ]
                    known.update({(kind.value, i): ident for i, ident in zip(wanted, ids, strict=True)})
                await session.commit()
    finally:
        await engine.dispose()
    return [SimDevice(str(known[(kind.value, i)]), kind, i) for i in range(per_type) for kind in TYPES]


async def _insert_run(
    session: AsyncSession, kind: DeviceType, indexes: list[int], spots: list[repository.Spot]
) -> list[uuid.UUID]:
    # Consecutive runs of indexes go in one statement each (usually one run: a fresh fleet).
    ids: list[uuid.UUID] = []
    start = 0
    while start < len(indexes):
        end = start + 1
        while end < len(indexes) and indexes[end] == indexes[end - 1] + 1:
            end += 1
        ids += await repository.insert_many(session, kind, indexes[start], spots[start:end], "gateway")
        start = end
    return ids


async def _register(session: AsyncSession, kind: DeviceType, index: int, spot: repository.Spot) -> uuid.UUID:
    device = await registry.create_device(
        session,
        DeviceCreate(
            type=kind,
            name=f"Mô phỏng {kind.value} #{index}",
            location=DevicePoint(lon=spot.lon, lat=spot.lat),
            metadata=repository.metadata("devices", index),
        ),
    )
    return device.id


async def device_passwords(
    settings: Settings, fleet: list[SimDevice], *, renew: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Each device's broker password: the stored one, or a fresh one issued on the broker when there is none
    or when its id is in `renew` (the broker refused it, e.g. after its state was reset)."""
    store = SecretFile(state_folder(settings) / "device-credentials.json")
    admin = BrokerAdmin(settings)
    try:
        for device in fleet:
            if store.get(device.id) is None or device.id in renew:
                issued = await credentials.issue(admin, settings, uuid.UUID(device.id))
                store.put(device.id, issued.password)
    finally:
        await admin.close()
    return {device.id: store.values[device.id] for device in fleet}


async def gateway_password(settings: Settings, username: str = GATEWAY_USERNAME) -> str:
    """The gateway account's password (made once, kept in the state folder), brought up to date on the
    broker at every start, which is idempotent."""
    store = SecretFile(state_folder(settings) / "gateway-credentials.json")
    password = store.get(username)
    if password is None:
        password = secrets.token_urlsafe(24)
        store.put(username, password)
    admin = BrokerAdmin(settings)
    try:
        await admin.ensure_gateway(username, password)
    finally:
        await admin.close()
    return password
