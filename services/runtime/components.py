"""The table of components: what each `eco2 run <name>` wires onto the shared resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from functools import partial

from starlette.applications import Starlette

from bus.ports import Subscription
from gateway.app import GatewayDeps, create_app
from services.ai import handlers as ai_handlers
from services.runtime.resources import Resources, build_provider
from services.runtime.workers import journaled
from services.storage import handlers as storage_handlers
from services.system import handlers as system_handlers

Consumer = Callable[[Resources, AsyncExitStack], Awaitable[Sequence[Subscription]]]


async def system(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return system_handlers.subscriptions()


async def storage(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    work = partial(
        storage_handlers.store_image,
        objects=resources.objects,
        max_bytes=resources.settings.max_image_bytes,
    )
    return [
        await journaled(
            resources,
            stack,
            name="storage",
            group=storage_handlers.GROUP,
            bindings=storage_handlers.BINDINGS,
            work=work,
            on_failure=storage_handlers.failed,
        )
    ]


async def ai(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    work = partial(
        ai_handlers.classify,
        provider=build_provider(resources.settings),
        objects=resources.objects,
    )
    return [
        await journaled(
            resources,
            stack,
            name="ai",
            group=ai_handlers.GROUP,
            bindings=ai_handlers.BINDINGS,
            work=work,
            on_failure=ai_handlers.failed,
        )
    ]


# Bus consumers, by component name.
CONSUMERS: dict[str, Consumer] = {"system": system, "storage": storage, "ai": ai}

# Schemas with SQL migrations: (schema name, package holding `schema/NNNN_*.sql`).
MIGRATIONS: list[tuple[str, str]] = [("journal", "journal")]

COMPONENTS = ("gateway", *CONSUMERS)


def gateway(resources: Resources) -> Starlette:
    return create_app(
        GatewayDeps(
            publisher=resources.bus,
            requester=resources.bus,
            readiness={
                "bus": resources.bus.ping,
                "database": resources.db_ready,
                "cache": resources.redis_ready,
            },
        )
    )
