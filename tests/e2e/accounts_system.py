"""The gateway and the real accounts service in one process, as `eco2 up` wires them.

`accounts_database` makes a fresh PostgreSQL database with the migrated `accounts` schema;
`running_system` opens the resources of `settings` (`open_resources`: memory bus, the
database, Redis), subscribes the gateway (`components.gateway`) and the accounts service
(`components.CONSUMERS["accounts"]`) on the one bus and serves the app under uvicorn on
a free port. `BackgroundSystem` runs the same in a thread of its own, for synchronous
clients such as schemathesis.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from services.runtime import components
from services.runtime.resources import open_resources
from services.runtime.settings import Settings, load_settings
from support.databases import fresh_database
from support.servers import serve
from tests.e2e.gateway_system import SECRET


@asynccontextmanager
async def accounts_database(postgres_url: str) -> AsyncIterator[str]:
    """A new database with the `accounts` schema migrated; dropped on exit."""
    domains = [("accounts", "services.accounts")]
    async with fresh_database(postgres_url, "eco2_e2e", domains) as url:
        yield url


def system_settings(
    database_url: str, redis_url: str, data_dir: Path, **overrides: Any
) -> Settings:
    """Settings of a test system: the environment, then these values (cheap password hashes)."""
    values: dict[str, Any] = {
        "bus_url": "memory://",
        "database_url": database_url,
        "redis_url": redis_url,
        "data_dir": data_dir,
        "jwt_secret": SECRET,
        "password_hash_memory_kib": 1024,
        "password_hash_iterations": 1,
        "request_timeout": 5.0,
        "shutdown_grace": 1.0,
        # Every test user registers from the one loopback address.
        "registration_max_per_client": 10_000,
        **overrides,
    }
    return load_settings(**values)


@asynccontextmanager
async def running_system(settings: Settings) -> AsyncIterator[str]:
    """The gateway and accounts on `settings`' resources; yields the gateway's base URL."""
    async with open_resources(settings) as resources, AsyncExitStack() as stack:
        app, subscriptions = components.gateway(resources)
        for subscription in subscriptions:
            resources.bus.subscribe(subscription)
        for subscription in await components.CONSUMERS["accounts"](resources, stack):
            resources.bus.subscribe(subscription)
        # Closed first: in-flight handlers finish before the relay and its pool close.
        stack.push_async_callback(resources.bus.close)
        await resources.bus.start()
        async with serve(app) as host:
            yield f"http://{host}"


class BackgroundSystem:
    """Runs an async context manager yielding a URL on an event loop in another thread."""

    def __init__(self, factory: Callable[[], AbstractAsyncContextManager[str]]) -> None:
        self._factory = factory
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eco2-system", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.url = ""

    def __enter__(self) -> str:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the system did not start within 60 s")
        if self._error is not None:
            self._thread.join()
            raise RuntimeError("the system failed to start") from self._error
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        if self._error is not None:
            raise RuntimeError("the system failed while stopping") from self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self._factory() as url:
            self.url = url
            self._ready.set()
            await self._stop.wait()
