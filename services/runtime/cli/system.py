"""`eco2 up | run | migrate | ping`: start the system, run one component, migrate the
database, talk to the bus. These are the root's own commands, not a group."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

import typer

from contracts import new_envelope
from contracts.system.v1 import Ping
from services.runtime import components, process
from services.runtime.cli.shell import err, run, settings, usage
from services.runtime.migrate import migrate, package_migrations
from services.runtime.resources import open_resources

app = typer.Typer()


@app.command()
def up() -> None:
    """Start every component in one process on embedded defaults (Ctrl-C stops)."""
    config = settings(logs=True)
    err.print(f"Eco² starting on http://{config.http_host}:{config.http_port} …")
    run(process.run(config, components.COMPONENTS, apply_migrations=True))


@app.command("run")
def run_component(
    component: Annotated[str, typer.Argument(help=f"one of: {', '.join(components.COMPONENTS)}")],
) -> None:
    """Run one component against the configured services."""
    if component not in components.COMPONENTS:
        usage(f"unknown component {component!r}; choose one of: {', '.join(components.COMPONENTS)}")
    run(process.run(settings(logs=True), [component], apply_migrations=False))


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending SQL migrations of every domain (safe to run again)."""
    config = settings(logs=True)

    async def go() -> None:
        async with open_resources(config) as resources:
            applied = await migrate(
                resources.database_url, package_migrations(components.MIGRATIONS)
            )
        for m in applied:
            err.print(f"applied {m.domain} {m.version:04d}_{m.name}")
        err.print(f"{len(applied)} migration(s) applied; database is up to date")

    run(go())


@app.command()
def ping(
    note: Annotated[str, typer.Option(help="text echoed back")] = "",
    timeout: Annotated[float, typer.Option(help="seconds to wait")] = 5.0,
) -> None:
    """Send `system.ping` over the configured bus and print the `system.pong`."""
    config = settings(logs=True)

    async def go() -> None:
        async with open_resources(config) as resources, contextlib.AsyncExitStack() as stack:
            if config.bus_url.startswith("memory"):  # nobody else to answer in this process
                for sub in await components.system(resources, stack):
                    resources.bus.subscribe(sub)
            await resources.bus.start()
            reply = await resources.bus.request(new_envelope(Ping(note=note)), timeout=timeout)
            typer.echo(json.dumps(reply.payload.model_dump()))

    run(go())
