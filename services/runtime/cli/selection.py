"""How journal commands name a journal and pick its entries: the `JOURNAL` argument (a
file, or a worker name under ECO2_DATA_DIR), state/type/time filters, `--json`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from journal.sqlite.store import Entry, Journal, JournalError, State
from services.runtime.cli.shell import settings

JournalArg = Annotated[
    str, typer.Argument(help="a journal file, or a worker name (ai, storage) under ECO2_DATA_DIR")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
StateOpt = Annotated[list[str], typer.Option("--state", help="filter by state (repeatable)")]
TypeOpt = Annotated[list[str], typer.Option("--type", help="filter by message type")]
SinceOpt = Annotated[str | None, typer.Option(help="ISO time or duration ago (2h)")]


def journal_path(journal: str) -> Path:
    path = Path(journal)
    if path.suffix or "/" in journal:
        return path
    return settings().journal_dir / f"{journal}.journal"


@contextlib.asynccontextmanager
async def open_journal(journal: str, *, readonly: bool) -> AsyncIterator[Journal]:
    opened = await Journal.open(journal_path(journal), readonly=readonly)
    try:
        yield opened
    finally:
        await opened.close()


def when(value: str | None) -> float | None:
    """An ISO date/time, or a duration back from now (`90s`, `15m`, `2h`, `7d`)."""
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value[-1:] in units and value[:-1].replace(".", "", 1).isdigit():
        return time.time() - float(value[:-1]) * units[value[-1]]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither an ISO time nor a duration like 2h"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def iso(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else "-"


def states(values: Sequence[str]) -> list[State]:
    try:
        return [State(v) for v in values]
    except ValueError:
        raise typer.BadParameter(f"states are: {', '.join(s.value for s in State)}") from None


async def select(
    j: Journal, ids: Sequence[str], chosen: list[State], types: Sequence[str], since: float | None
) -> list[Entry]:
    """The entries named by id (every one must exist), or those matching the filters."""
    if ids:
        found = [await j.get(i) for i in ids]
        missing = [i for i, e in zip(ids, found, strict=True) if e is None]
        if missing:
            raise JournalError(f"no entries {', '.join(missing)}")
        return [e for e in found if e is not None]
    return await j.entries(states=chosen, types=types, since=since, limit=None)
