"""What every `eco2` command shares: the consoles, the exit codes, reading the settings,
running a coroutine with the project's errors turned into a message and an exit code.

Results go to stdout (`out`, or `print_json` for `--json`); messages, progress and errors
go to stderr (`err`), one whole line each so they stay greppable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from bus.ports import BusError
from journal.ports import SyncUnavailable
from journal.sqlite.entries import JournalError
from services.runtime.migrate import MigrationError
from services.runtime.resources import ResourceError
from services.runtime.settings import Settings, SettingsError, load_settings

out = Console()
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class ExitCode(IntEnum):
    """The one exit-code policy of every `eco2` command (see the package docstring)."""

    OK = 0
    FAILURE = 1  # well-formed, but it could not be done: a service, file or id is not there
    USAGE = 2  # the command line or the ECO2_* settings are wrong; nothing was touched
    PARTIAL = 3  # it ran, but some of the selected items were not done


# Errors the project's ports raise for a world that is not as the command needs it.
FAILURES: tuple[type[Exception], ...] = (
    BusError,
    JournalError,
    MigrationError,
    ResourceError,
    SyncUnavailable,
    OSError,
)


def fail(message: str, code: ExitCode = ExitCode.FAILURE) -> NoReturn:
    """Print `error: message` on stderr and end the command with `code`."""
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    """The command line cannot mean anything: exit 2, as click does for its own checks."""
    fail(message, ExitCode.USAGE)


def settings(*, logs: bool = False) -> Settings:
    """The ECO2_* settings, or exit 2 naming the bad variable; `logs` sets up logging."""
    try:
        loaded = load_settings()
    except SettingsError as exc:
        usage(str(exc))
    if logs:
        logging.basicConfig(
            level=loaded.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    return loaded


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run the command's coroutine; a port's error becomes `error: …` and exit 1."""
    try:
        return asyncio.run(coro)
    except FAILURES as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    """One JSON document on one line of stdout (`--json` output, JSON lines for lists)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def print_pretty(data: Any) -> None:
    """A JSON document, indented and coloured, for a person."""
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))
