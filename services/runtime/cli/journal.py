"""`eco2 journal …`: inspect, copy, prune and sync a worker journal; `replay` (its own
module) runs entries again. Reading commands open the journal read-only, so they are safe
on a live worker's file or on a copy; `--json` prints machine-readable output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Entry, State
from journal.sqlite.sync import SyncLoop
from services.runtime.cli import replay
from services.runtime.cli.selection import (
    JournalArg,
    JsonOpt,
    SinceOpt,
    StateOpt,
    TypeOpt,
    iso,
    open_journal,
    states,
    when,
)
from services.runtime.cli.shell import err, fail, out, print_json, print_pretty, run, settings
from services.runtime.resources import open_resources

app = typer.Typer(
    name="journal", help="Inspect, replay, sync and prune worker journals.", no_args_is_help=True
)
app.command("replay")(replay.replay)


@app.command("stats")
def stats(journal: JournalArg, as_json: JsonOpt = False) -> None:
    """Counts by state and type, the sync backlog and its oldest entry."""

    async def go() -> None:
        async with open_journal(journal, readonly=True) as j:
            s, meta = await j.stats(), await j.meta()
        if as_json:
            print_json(
                {
                    "journal": str(j.path),
                    "meta": meta,
                    "by_state": s.by_state,
                    "by_type": s.by_type,
                    "backlog": s.backlog,
                    "oldest_unsynced": iso(s.oldest_unsynced),
                }
            )
            return
        out.print(
            f"[bold]{j.path}[/bold]  worker={meta.get('worker')} "
            f"schema=v{meta.get('schema_version')}"
        )
        table = Table("type", *(s.value for s in State))
        for kind, counts in sorted(s.by_type.items()):
            table.add_row(kind, *(str(counts.get(st.value, 0)) for st in State))
        table.add_row("[bold]all", *(f"[bold]{s.by_state[st.value]}" for st in State))
        out.print(table)
        out.print(
            f"backlog (finished, not in PostgreSQL): {s.backlog}; "
            f"oldest unsynced: {iso(s.oldest_unsynced)}"
        )

    run(go())


@app.command("ls")
def ls(
    journal: JournalArg,
    state: StateOpt = [],  # noqa: B006
    type_: TypeOpt = [],  # noqa: B006
    since: SinceOpt = None,
    until: Annotated[str | None, typer.Option(help="ISO time or duration ago")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List entries, oldest first."""

    async def go() -> list[Entry]:
        async with open_journal(journal, readonly=True) as j:
            return await j.entries(
                states=states(state), types=type_, since=when(since), until=when(until), limit=limit
            )

    entries = run(go())
    if as_json:
        for e in entries:
            print_json({k: v for k, v in e.as_dict().items() if k not in ("envelope", "outcome")})
        return
    table = Table("message id", "type", "state", "attempts", "synced", "created", "error")
    for e in entries:
        table.add_row(
            e.message_id,
            e.type,
            e.state.value,
            str(e.attempts),
            "yes" if e.synced else "no",
            iso(e.created_at),
            (e.error or "")[:60],
        )
    out.print(table)


@app.command("show")
def show(journal: JournalArg, message_id: str, as_json: JsonOpt = False) -> None:
    """One entry in full: envelope, checkpoints, outcome, error."""

    async def go() -> Entry | None:
        async with open_journal(journal, readonly=True) as j:
            return await j.get(message_id)

    entry = run(go())
    if entry is None:
        fail(f"no entry {message_id}")
    if as_json:
        print_json(entry.as_dict())
    else:
        print_pretty(entry.as_dict())


@app.command("export")
def export(
    journal: JournalArg,
    output: Annotated[Path | None, typer.Option("--out", help="file (default stdout)")] = None,
    state: StateOpt = [],  # noqa: B006
    since: SinceOpt = None,
) -> None:
    """Every (selected) entry as JSON lines."""

    async def go() -> int:
        async with open_journal(journal, readonly=True) as j:
            entries = await j.entries(states=states(state), since=when(since), limit=None)
            sink = output.open("w", encoding="utf-8") if output else sys.stdout
            try:
                for e in entries:
                    full = await j.get(e.message_id) or e
                    sink.write(json.dumps(full.as_dict(), ensure_ascii=False, default=str) + "\n")
            finally:
                if sink is not sys.stdout:
                    sink.close()
            return len(entries)

    err.print(f"exported {run(go())} entries")


@app.command("copy")
def copy(journal: JournalArg, destination: Path) -> None:
    """A consistent copy of a journal, safe while its worker runs."""

    async def go() -> None:
        async with open_journal(journal, readonly=True) as j:
            await j.snapshot(destination)

    run(go())
    err.print(f"copied to {destination}")


@app.command("prune")
def prune(
    journal: JournalArg,
    older_than: Annotated[str, typer.Option(help="retention, e.g. 7d")] = "7d",
) -> None:
    """Delete synced, finished entries completed before the retention."""
    before = when(older_than)
    assert before is not None

    async def go() -> int:
        async with open_journal(journal, readonly=False) as j:
            return await j.prune(before)

    err.print(f"pruned {run(go())} entries")


@app.command("sync")
def sync(journal: JournalArg) -> None:
    """Push unsynced finished entries to PostgreSQL now."""
    config = settings()

    async def go() -> int:
        async with open_journal(journal, readonly=False) as j, open_resources(config) as res:
            meta = await j.meta()
            loop = SyncLoop(
                j,
                PostgresTarget(res.db),
                worker=meta.get("worker", "unknown"),
                batch_size=config.sync_batch_size,
            )
            total = (await j.stats()).backlog
            shipped = 0
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("syncing", total=total)
                while batch := await loop.sync_once():
                    shipped += batch
                    progress.update(task, advance=batch)
            return shipped

    err.print(f"synced {run(go())} entries")
