"""Gateway instances served by uvicorn on free ports, sharing one bus and one Redis.

Each instance is built by the composition root (`components.gateway`) on resources of
its own bus client, as `eco2 run gateway` builds it; the accounts side is the fake in
`fake_accounts.py` on its own bus client (swap `accounts` for the real service's
subscriptions once it exists). Tests publish events through `system.bus`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import fakeredis
import httpx
import redis.asyncio as aioredis

from bus.memory import MemoryBroker, MemoryBus
from bus.ports import Bus
from bus.rabbit import RabbitBus
from contracts import Payload, Registry, new_envelope
from contracts.catalog import build_registry
from services.runtime import components
from services.runtime.resources import Resources, jwt_secret
from services.runtime.settings import Settings
from support.servers import serve
from tests.e2e.fake_accounts import FakeAccounts

BusFactory = Callable[[Registry], Bus]
SECRET = "test-secret-" + "x" * 40


def gateway_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_secret": SECRET,
        "request_timeout": 5.0,
        # Every test user registers from the one loopback address.
        "registration_max_per_client": 10_000,
        **overrides,
    }
    return Settings(**values)


def memory_buses() -> BusFactory:
    broker = MemoryBroker()
    return lambda registry: MemoryBus(registry, broker=broker, grace=1.0)


def rabbit_buses(url: str) -> BusFactory:
    return lambda registry: RabbitBus(url, registry, prefetch=16, grace=1.0)


def fake_redis(server: fakeredis.FakeServer | None = None) -> aioredis.Redis:
    """An in-process Redis; clients given the same `server` share its data."""
    redis: aioredis.Redis = fakeredis.FakeAsyncRedis(server=server or fakeredis.FakeServer())
    return redis


@dataclass(frozen=True)
class Instance:
    host: str  # "127.0.0.1:<port>"
    bus: Bus

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}/api/v1/ws"

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)


@dataclass(frozen=True)
class GatewaySystem:
    settings: Settings
    registry: Registry
    redis: aioredis.Redis
    bus: Bus
    accounts: FakeAccounts
    instances: list[Instance]

    @property
    def gateway(self) -> Instance:
        return self.instances[0]

    async def publish(self, payload: Payload, user_id: str | None = None) -> str:
        envelope = new_envelope(payload, user_id=user_id)
        await self.bus.publish(envelope)
        return str(envelope.message_id)


@asynccontextmanager
async def gateway_system(
    settings: Settings,
    buses: BusFactory,
    redis: aioredis.Redis,
    *,
    instances: int = 1,
    accounts_group: str | None = None,
    send_buffer: int | None = None,
) -> AsyncIterator[GatewaySystem]:
    registry = build_registry()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(redis.aclose)
        tool = buses(registry)
        await tool.start()
        stack.push_async_callback(tool.close)
        accounts = FakeAccounts(jwt_secret(settings), redis, tool)
        accounts_bus = buses(registry)
        accounts_bus.subscribe(accounts.subscription(accounts_group or "accounts.fake"))
        await accounts_bus.start()
        stack.push_async_callback(accounts_bus.close)
        served = []
        for _ in range(instances):
            bus = buses(registry)
            # The gateway touches neither the database nor the object store.
            resources = Resources(
                settings, registry, bus, "", cast(Any, None), redis, cast(Any, None)
            )
            app, subscriptions = components.gateway(resources)
            for subscription in subscriptions:
                bus.subscribe(subscription)
            await bus.start()
            stack.push_async_callback(bus.close)
            host = await stack.enter_async_context(
                serve(app, send_buffer, settings.trusted_proxies)
            )
            served.append(Instance(host, bus))
        yield GatewaySystem(settings, registry, redis, tool, accounts, served)


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


async def register(client: httpx.AsyncClient, email: str | None = None) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "email": email or unique_email(),
            "password": "correct horse battery",
            "nickname": "Kim",
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def refused_within(
    client: httpx.AsyncClient, session: dict[str, Any], seconds: float = 1.0
) -> None:
    """Poll `GET /users/me` with `session` until it is refused; it must be within `seconds`."""
    started = time.monotonic()
    while (await client.get("/api/v1/users/me", headers=bearer(session))).status_code != 401:
        assert time.monotonic() - started < seconds, "still accepted on the other instance"
        await asyncio.sleep(0.02)


async def sse_events(response: httpx.Response) -> AsyncGenerator[dict[str, str], None]:
    """The events (`id`, `event`, `data`) of a `text/event-stream` response, as they come."""
    assert response.headers["content-type"].startswith("text/event-stream")
    current: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if "data" in current:
                yield current
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.removeprefix(" ")


async def sse(
    client: httpx.AsyncClient, scan_id: str, session: dict[str, Any], last: str | None = None
) -> tuple[int, list[dict[str, str]]]:
    """Read a scan's whole event stream (it ends after the terminal event): status, events."""
    headers = bearer(session) | ({"Last-Event-ID": last} if last is not None else {})
    async with client.stream("GET", f"/api/v1/scans/{scan_id}/events", headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            return response.status_code, []
        return 200, [event async for event in sse_events(response)]
