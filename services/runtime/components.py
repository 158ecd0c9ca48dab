"""The table of components: what each `eco2 run <name>` wires onto the shared resources."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.applications import Starlette

from bus.ports import Subscription
from gateway.app import GatewayDeps, create_app
from services.runtime.resources import Resources
from services.system import handlers as system

# Bus consumers, by component name.
CONSUMERS: dict[str, Callable[[Resources], Sequence[Subscription]]] = {
    "system": lambda resources: system.subscriptions(),
}

# Domains with SQL migrations: (schema name, package holding `schema/NNNN_*.sql`).
MIGRATIONS: list[tuple[str, str]] = []

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
