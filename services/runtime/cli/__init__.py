"""The `eco2` command: start the system, run one component, migrate, talk to the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bus.ports import BusError
from contracts import new_envelope
from contracts.schema import export
from contracts.system.v1 import Ping
from services.runtime import components, ops, process
from services.runtime.migrate import MigrationError, migrate, package_migrations
from services.runtime.resources import ResourceError, open_resources
from services.runtime.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Eco² backend.", no_args_is_help=True, add_completion=False)
contracts_app = typer.Typer(help="Message contracts.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(ops.journal_app, name="journal")
app.add_typer(ops.dlq_app, name="dlq")
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines, greppable


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


def _run(coro: object) -> None:
    try:
        asyncio.run(coro)  # type: ignore[arg-type]
    except (ResourceError, MigrationError, BusError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def up() -> None:
    """Start every component in one process on embedded defaults (Ctrl-C stops)."""
    settings = _settings()
    err.print(f"Eco² starting on http://{settings.http_host}:{settings.http_port} …")
    _run(process.run(settings, components.COMPONENTS, apply_migrations=True))


@app.command("run")
def run_component(
    component: Annotated[str, typer.Argument(help=f"one of: {', '.join(components.COMPONENTS)}")],
) -> None:
    """Run one component against the configured services."""
    if component not in components.COMPONENTS:
        err.print(
            f"[red]unknown component {component!r}[/red]; "
            f"choose one of: {', '.join(components.COMPONENTS)}"
        )
        raise typer.Exit(2)
    _run(process.run(_settings(), [component], apply_migrations=False))


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending SQL migrations of every domain (safe to run again)."""
    settings = _settings()

    async def go() -> None:
        async with open_resources(settings) as resources:
            applied = await migrate(
                resources.database_url, package_migrations(components.MIGRATIONS)
            )
        for m in applied:
            err.print(f"applied {m.domain} {m.version:04d}_{m.name}")
        err.print(f"{len(applied)} migration(s) applied; database is up to date")

    _run(go())


@app.command()
def ping(
    note: Annotated[str, typer.Option(help="text echoed back")] = "",
    timeout: Annotated[float, typer.Option(help="seconds to wait")] = 5.0,
) -> None:
    """Send `system.ping` over the configured bus and print the `system.pong`."""
    settings = _settings()

    async def go() -> None:
        async with open_resources(settings) as resources, contextlib.AsyncExitStack() as stack:
            if settings.bus_url.startswith("memory"):  # nobody else to answer in this process
                for sub in await components.system(resources, stack):
                    resources.bus.subscribe(sub)
            await resources.bus.start()
            reply = await resources.bus.request(new_envelope(Ping(note=note)), timeout=timeout)
            typer.echo(json.dumps(reply.payload.model_dump()))

    _run(go())


@contracts_app.command("export")
def export_contracts(
    directory: Annotated[Path, typer.Argument(help="where to write *.schema.json")],
) -> None:
    """Write the JSON Schema of the envelope and of every contract version."""
    from contracts.catalog import build_registry

    written = export(build_registry(), directory)
    err.print(f"wrote {len(written)} schema(s) to {directory}")


def main() -> None:
    app()
