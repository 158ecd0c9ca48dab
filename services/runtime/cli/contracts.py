"""`eco2 contracts …`: the message contracts as files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts.schema import export
from services.runtime.cli.shell import err, fail

app = typer.Typer(name="contracts", help="Message contracts.", no_args_is_help=True)


@app.command("export")
def export_contracts(
    directory: Annotated[Path, typer.Argument(help="where to write *.schema.json")],
) -> None:
    """Write the JSON Schema of the envelope and of every contract version."""
    from contracts.catalog import build_registry

    try:
        written = export(build_registry(), directory)
    except OSError as exc:
        fail(f"cannot write to {directory}: {exc}")
    err.print(f"wrote {len(written)} schema(s) to {directory}")
