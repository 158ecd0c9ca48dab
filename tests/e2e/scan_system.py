"""A gateway on real HTTP with the real scan, character and recycling services behind it.

Like `gateway_system`, but the gateway has an object store (a local directory) and the
domain services run on their own bus client against a fresh PostgreSQL database: what
`eco2 up` wires, minus the storage and AI workers, whose events the tests publish. The
scan service's event handling can be held (`hold_events`), to show that the gateway
never answers an older state than an event a client has already received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from bus.ports import Handler, Message
from contracts import Payload
from contracts.catalog import build_registry
from objects import LocalObjectStore
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import Settings
from support.databases import fresh_database
from support.servers import serve
from tests.e2e.fake_accounts import FakeAccounts
from tests.e2e.gateway_system import (
    GatewaySystem,
    Instance,
    fake_redis,
    memory_buses,
)

DOMAINS = [
    ("scan", "services.scan"),
    ("character", "services.character"),
    ("recycling", "services.recycling"),
]
SCAN_EVENTS = frozenset({"scan.progress", "scan.classified", "scan.failed", "scan.completed"})


@dataclass
class Gate:
    """Holds the scan service's pipeline events while closed."""

    open: asyncio.Event = field(default_factory=asyncio.Event)

    def wrap(self, handler: Handler) -> Handler:
        async def held(message: Message[Any]) -> Payload | None:
            if message.envelope.type in SCAN_EVENTS:
                await self.open.wait()
            return await handler(message)

        return held


@dataclass(frozen=True)
class ScanSystem:
    gateway_system: GatewaySystem
    objects: LocalObjectStore
    db: asyncpg.Pool
    gate: Gate

    @property
    def gateway(self) -> Instance:
        return self.gateway_system.gateway

    @asynccontextmanager
    async def hold_events(self) -> AsyncIterator[None]:
        """The scan service takes no pipeline event inside this block (they queue)."""
        self.gate.open.clear()
        try:
            yield
        finally:
            self.gate.open.set()


@asynccontextmanager
async def scan_system(
    settings: Settings,
    postgres_url: str,
    tmp_path: Path,
    *,
    redis: aioredis.Redis | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> AsyncIterator[ScanSystem]:
    """`extra` are more (component, package) pairs to migrate and run (e.g. places);
    `redis` a real Redis instead of the in-process one."""
    registry = build_registry()
    buses = memory_buses()
    redis = redis or fake_redis()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(
            fresh_database(postgres_url, "eco2_scan_e2e", [*DOMAINS, *extra])
        )
        db = await asyncpg.create_pool(url, min_size=1, max_size=8)
        stack.push_async_callback(db.close)
        stack.push_async_callback(redis.aclose)
        objects = LocalObjectStore(tmp_path / "objects")
        tool = buses(registry)
        await tool.start()
        stack.push_async_callback(tool.close)
        accounts = FakeAccounts(settings.jwt_secret.get_secret_value(), redis, tool)  # type: ignore[union-attr]
        accounts_bus = buses(registry)
        accounts_bus.subscribe(accounts.subscription("accounts.fake"))
        await accounts_bus.start()
        stack.push_async_callback(accounts_bus.close)

        gate = Gate()
        gate.open.set()
        services_bus = buses(registry)
        services = Resources(settings, registry, services_bus, url, db, redis, objects)
        for name in ("scan", "character", "recycling", *(name for name, _ in extra)):
            for sub in await components.CONSUMERS[name](services, stack):
                handler = gate.wrap(sub.handler) if name == "scan" else sub.handler
                services_bus.subscribe(replace(sub, handler=handler))
        await services_bus.start()
        stack.push_async_callback(services_bus.close)

        bus = buses(registry)
        # The gateway touches no database; it stores uploads through the object store.
        resources = Resources(settings, registry, bus, "", None, redis, objects)  # type: ignore[arg-type]
        app, subscriptions = components.gateway(resources)
        for subscription in subscriptions:
            bus.subscribe(subscription)
        await bus.start()
        stack.push_async_callback(bus.close)
        host = await stack.enter_async_context(serve(app))
        system = GatewaySystem(settings, registry, redis, tool, accounts, [Instance(host, bus)])
        yield ScanSystem(system, objects, db, gate)
