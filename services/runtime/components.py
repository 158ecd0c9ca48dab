"""The table of components: what each `eco2 run <name>` wires onto the shared resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from functools import partial

from starlette.applications import Starlette

from bus.ports import Subscription
from gateway.app import GatewayDeps, create_app
from journal.store import Journal
from journal.worker import JournaledWorker
from services.ai import handlers as ai_handlers
from services.runtime.resources import Resources, build_provider
from services.runtime.workers import WorkerSpec, journaled
from services.storage import handlers as storage_handlers
from services.system import handlers as system_handlers

Consumer = Callable[[Resources, AsyncExitStack], Awaitable[Sequence[Subscription]]]


async def system(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return system_handlers.subscriptions()


def worker_spec(name: str, resources: Resources) -> WorkerSpec:
    """The journaled task of worker `name`, bound to this process's resources."""
    match name:
        case "storage":
            return WorkerSpec(
                name,
                storage_handlers.GROUP,
                storage_handlers.BINDINGS,
                partial(
                    storage_handlers.store_image,
                    objects=resources.objects,
                    max_bytes=resources.settings.max_image_bytes,
                ),
                storage_handlers.failed,
            )
        case "ai":
            return WorkerSpec(
                name,
                ai_handlers.GROUP,
                ai_handlers.BINDINGS,
                partial(
                    ai_handlers.classify,
                    provider=build_provider(resources.settings),
                    objects=resources.objects,
                ),
                ai_handlers.failed,
            )
    raise ValueError(f"no journaled worker called {name!r}")


async def storage(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return [await journaled(resources, stack, worker_spec("storage", resources))]


async def ai(resources: Resources, stack: AsyncExitStack) -> Sequence[Subscription]:
    return [await journaled(resources, stack, worker_spec("ai", resources))]


async def replay_worker(name: str, resources: Resources, journal: Journal) -> JournaledWorker:
    """The worker of an existing journal, for `eco2 journal replay` (no consuming)."""
    spec = worker_spec(name, resources)
    return JournaledWorker(
        journal,
        resources.bus,
        resources.registry,
        spec.work,
        spec.on_failure,
        max_attempts=resources.settings.max_attempts,
    )


# Bus consumers, by component name.
CONSUMERS: dict[str, Consumer] = {"system": system, "storage": storage, "ai": ai}

# Schemas with SQL migrations: (schema name, package holding `schema/NNNN_*.sql`).
MIGRATIONS: list[tuple[str, str]] = [("journal", "journal")]

COMPONENTS = ("gateway", *CONSUMERS)


def gateway(resources: Resources) -> tuple[Starlette, Sequence[Subscription]]:
    """The gateway's app and the bus subscriptions it needs (events it pushes to clients)."""
    app = create_app(
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
    return app, []
