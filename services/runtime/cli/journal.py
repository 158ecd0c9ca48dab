"""Operator commands over the journals and the dead-letter queues: `eco2 journal …`,
`eco2 dlq …`. Reading commands open a journal read-only, so they are safe on a live
worker's file or on a copy; `--json` prints machine-readable output."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bus.ports import BusError, Message
from bus.rabbit.dlq import DeadLetter, dead_letters
from contracts import Envelope
from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Entry, Journal, JournalError, State
from journal.sqlite.sync import SyncLoop
from journal.sqlite.worker import JournaledWorker
from services.runtime import components
from services.runtime.resources import ResourceError, open_resources
from services.runtime.settings import Settings, SettingsError, load_settings

journal_app = typer.Typer(
    help="Inspect, replay, sync and prune worker journals.", no_args_is_help=True
)
dlq_app = typer.Typer(
    help="List, show, requeue and purge dead letters (RabbitMQ).", no_args_is_help=True
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines, greppable
T = TypeVar("T")

JournalArg = Annotated[
    str, typer.Argument(help="a journal file, or a worker name (ai, storage) under ECO2_DATA_DIR")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _path(journal: str) -> Path:
    path = Path(journal)
    if path.suffix or "/" in journal:
        return path
    return _settings().journal_dir / f"{journal}.journal"


def _run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except JournalError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except (BusError, ResourceError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@contextlib.asynccontextmanager
async def _open(journal: str, *, readonly: bool) -> AsyncIterator[Journal]:
    opened = await Journal.open(_path(journal), readonly=readonly)
    try:
        yield opened
    finally:
        await opened.close()


def _when(value: str | None) -> float | None:
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


def _iso(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else "-"


def _states(values: Sequence[str]) -> list[State]:
    try:
        return [State(v) for v in values]
    except ValueError:
        raise typer.BadParameter(f"states are: {', '.join(s.value for s in State)}") from None


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


# --- journal ---------------------------------------------------------------------------


@journal_app.command("stats")
def stats(journal: JournalArg, as_json: JsonOpt = False) -> None:
    """Counts by state and type, the sync backlog and its oldest entry."""

    async def go() -> None:
        async with _open(journal, readonly=True) as j:
            s, meta = await j.stats(), await j.meta()
        if as_json:
            _json(
                {
                    "journal": str(j.path),
                    "meta": meta,
                    "by_state": s.by_state,
                    "by_type": s.by_type,
                    "backlog": s.backlog,
                    "oldest_unsynced": _iso(s.oldest_unsynced),
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
            f"oldest unsynced: {_iso(s.oldest_unsynced)}"
        )

    _run(go())


@journal_app.command("ls")
def ls(
    journal: JournalArg,
    state: Annotated[list[str], typer.Option(help="filter by state (repeatable)")] = [],  # noqa: B006
    type_: Annotated[list[str], typer.Option("--type", help="filter by message type")] = [],  # noqa: B006
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago (2h)")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time or duration ago")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List entries, oldest first."""

    async def go() -> list[Entry]:
        async with _open(journal, readonly=True) as j:
            return await j.entries(
                states=_states(state),
                types=type_,
                since=_when(since),
                until=_when(until),
                limit=limit,
            )

    entries = _run(go())
    if as_json:
        for e in entries:
            _json({k: v for k, v in e.as_dict().items() if k not in ("envelope", "outcome")})
        return
    table = Table("message id", "type", "state", "attempts", "synced", "created", "error")
    for e in entries:
        table.add_row(
            e.message_id,
            e.type,
            e.state.value,
            str(e.attempts),
            "yes" if e.synced else "no",
            _iso(e.created_at),
            (e.error or "")[:60],
        )
    out.print(table)


@journal_app.command("show")
def show(journal: JournalArg, message_id: str, as_json: JsonOpt = False) -> None:
    """One entry in full: envelope, checkpoints, outcome, error."""

    async def go() -> Entry | None:
        async with _open(journal, readonly=True) as j:
            return await j.get(message_id)

    entry = _run(go())
    if entry is None:
        err.print(f"[red]no entry {message_id}[/red]")
        raise typer.Exit(1)
    if as_json:
        _json(entry.as_dict())
    else:
        out.print_json(json.dumps(entry.as_dict(), ensure_ascii=False, default=str))


@journal_app.command("export")
def export(
    journal: JournalArg,
    output: Annotated[Path | None, typer.Option("--out", help="file (default stdout)")] = None,
    state: Annotated[list[str], typer.Option(help="filter by state")] = [],  # noqa: B006
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago")] = None,
) -> None:
    """Every (selected) entry as JSON lines."""

    async def go() -> int:
        async with _open(journal, readonly=True) as j:
            entries = await j.entries(states=_states(state), since=_when(since), limit=None)
            for e in entries:
                e_full = await j.get(e.message_id) or e
                line = json.dumps(e_full.as_dict(), ensure_ascii=False, default=str) + "\n"
                if sink is not None:
                    sink.write(line)
                else:
                    sys.stdout.write(line)
            return len(entries)

    sink = output.open("w", encoding="utf-8") if output else None
    try:
        count = _run(go())
    finally:
        if sink is not None:
            sink.close()
    err.print(f"exported {count} entries")


@journal_app.command("copy")
def copy(journal: JournalArg, destination: Path) -> None:
    """A consistent copy of a journal, safe while its worker runs."""

    async def go() -> None:
        async with _open(journal, readonly=True) as j:
            await j.snapshot(destination)

    _run(go())
    err.print(f"copied to {destination}")


@journal_app.command("prune")
def prune(
    journal: JournalArg,
    older_than: Annotated[str, typer.Option(help="retention, e.g. 7d")] = "7d",
) -> None:
    """Delete synced, finished entries completed before the retention."""

    async def go() -> int:
        async with _open(journal, readonly=False) as j:
            before = _when(older_than)
            assert before is not None
            return await j.prune(before)

    err.print(f"pruned {_run(go())} entries")


@journal_app.command("sync")
def sync(journal: JournalArg) -> None:
    """Push unsynced finished entries to PostgreSQL now."""
    settings = _settings()

    async def go() -> int:
        async with _open(journal, readonly=False) as j, open_resources(settings) as res:
            meta = await j.meta()
            loop = SyncLoop(
                j,
                PostgresTarget(res.db),
                worker=meta.get("worker", "unknown"),
                batch_size=settings.sync_batch_size,
            )
            total = (await j.stats()).backlog
            shipped = 0
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("syncing", total=total)
                while batch := await loop.sync_once():
                    shipped += batch
                    progress.update(task, advance=batch)
            return shipped

    err.print(f"synced {_run(go())} entries")


@journal_app.command("replay")
def replay(
    journal: JournalArg,
    ids: Annotated[list[str], typer.Option("--id", help="message id (repeatable)")] = [],  # noqa: B006
    state: Annotated[list[str], typer.Option(help="select by state, e.g. failed")] = [],  # noqa: B006
    type_: Annotated[list[str], typer.Option("--type", help="select by type")] = [],  # noqa: B006
    since: Annotated[str | None, typer.Option(help="ISO time or duration ago")] = None,
    republish: Annotated[bool, typer.Option(help="publish stored outcomes, do not re-run")] = False,
    keep_checkpoints: Annotated[bool, typer.Option(help="re-run from saved steps")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only say what would happen")] = False,
) -> None:
    """Re-run selected entries through the current code, or republish their outcomes.

    Outcome ids derive from the task's id, so consumers drop what they already have.
    """
    settings = _settings()
    if not (ids or state or type_ or since):
        err.print("[red]select entries with --id, --state, --type or --since[/red]")
        raise typer.Exit(2)

    async def go() -> tuple[int, int]:
        async with _open(journal, readonly=dry_run) as j:
            chosen = await _select(j, ids, _states(state), type_, _when(since))
            if dry_run:
                verb = "republish" if republish else "re-run"
                for e in chosen:
                    out.print(f"would {verb} {e.message_id} {e.type} ({e.state.value})")
                return len(chosen), 0
            return await _replay(j, settings, chosen, republish, keep_checkpoints)

    done, failed = _run(go())
    err.print(
        f"{'selected' if dry_run else 'replayed'} {done} entries"
        + (f", {failed} failed again" if failed else "")
    )


async def _select(
    j: Journal, ids: Sequence[str], states: list[State], types: Sequence[str], since: float | None
) -> list[Entry]:
    if ids:
        found = [await j.get(i) for i in ids]
        missing = [i for i, e in zip(ids, found, strict=True) if e is None]
        if missing:
            raise JournalError(f"no entries {', '.join(missing)}")
        return [e for e in found if e is not None]
    return await j.entries(states=states, types=types, since=since, limit=None)


async def _replay(
    j: Journal, settings: Settings, chosen: list[Entry], republish: bool, keep_checkpoints: bool
) -> tuple[int, int]:
    worker_name = (await j.meta()).get("worker", "")
    if worker_name not in ("ai", "storage") and not republish:
        raise JournalError(f"cannot re-run entries of worker {worker_name!r}; try --republish")
    async with open_resources(settings) as res, contextlib.AsyncExitStack() as stack:
        await res.bus.start()
        stack.push_async_callback(res.bus.close)
        done = failed = 0
        worker: JournaledWorker | None = None
        if not republish:
            worker = await components.replay_worker(worker_name, res, j)
            await j.reopen([e.message_id for e in chosen], keep_checkpoints=keep_checkpoints)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("replaying", total=len(chosen))
            for entry in chosen:
                try:
                    if worker is None:
                        for raw in entry.outcome or []:
                            await res.bus.publish(Envelope.model_validate(raw))
                    else:
                        envelope, payload = res.registry.parse(entry.envelope)
                        await worker.handle(Message(envelope, payload, 1, envelope.type))
                    done += 1
                except Exception as exc:  # one bad entry must not stop the rest
                    failed += 1
                    err.print(f"{entry.message_id}: {exc}")
                progress.update(task, advance=1)
        return done, failed


# --- dead letters ----------------------------------------------------------------------

GroupArg = Annotated[str, typer.Argument(help="consumer group, e.g. storage")]


def _bus_url() -> str:
    url = _settings().bus_url
    if not url.startswith("amqp"):
        err.print("[red]dead-letter commands need ECO2_BUS_URL=amqp://…[/red]")
        raise typer.Exit(2)
    return url


@dlq_app.command("ls")
def dlq_ls(
    group: GroupArg, limit: Annotated[int, typer.Option(min=1)] = 50, as_json: JsonOpt = False
) -> None:
    """List dead letters (they stay in the queue)."""
    url = _bus_url()

    async def go() -> tuple[int, list[DeadLetter]]:
        async with dead_letters(url, group) as dlq:
            return await dlq.count(), await dlq.browse(limit)

    total, letters = _run(go())
    if as_json:
        for letter in letters:
            _json({k: v for k, v in letter.as_dict().items() if k != "body"})
        return
    table = Table("message id", "type", "reason", "route", "requeues", "detail")
    for d in letters:
        table.add_row(
            d.message_id,
            d.type,
            d.reason,
            f"{d.exchange}/{d.routing_key}",
            str(d.requeues),
            d.detail[:60],
        )
    out.print(table)
    out.print(f"{total} dead letter(s) in eco2.{group}.dead")


@dlq_app.command("show")
def dlq_show(group: GroupArg, message_id: str, as_json: JsonOpt = False) -> None:
    """One dead letter with its body."""
    url = _bus_url()

    async def go() -> list[DeadLetter]:
        async with dead_letters(url, group) as dlq:
            return await dlq.browse()

    found = [d for d in _run(go()) if d.message_id == message_id]
    if not found:
        err.print(f"[red]no dead letter {message_id} in eco2.{group}.dead[/red]")
        raise typer.Exit(1)
    if as_json:
        _json(found[0].as_dict())
    else:
        out.print_json(json.dumps(found[0].as_dict(), ensure_ascii=False, default=str))


@dlq_app.command("requeue")
def dlq_requeue(
    group: GroupArg,
    ids: Annotated[list[str], typer.Option("--id", help="message id (repeatable)")] = [],  # noqa: B006
    all_: Annotated[bool, typer.Option("--all", help="every dead letter")] = False,
    reason: Annotated[str | None, typer.Option(help="only those dead for this reason")] = None,
    max_requeues: Annotated[int, typer.Option(help="loop guard")] = 3,
    force: Annotated[bool, typer.Option(help="ignore the loop guard")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Send dead letters back to their original route."""
    if not (ids or all_ or reason):
        err.print("[red]choose --id, --reason or --all[/red]")
        raise typer.Exit(2)
    url = _bus_url()
    wanted = set(ids)

    def select(d: DeadLetter) -> bool:
        return (all_ or d.message_id in wanted or not wanted) and (reason in (None, d.reason))

    def report(d: DeadLetter, what: str) -> None:
        err.print(f"{d.message_id} {d.type}: {what}")

    async def go() -> tuple[int, int]:
        async with dead_letters(url, group) as dlq:
            return await dlq.requeue(
                select, max_requeues=max_requeues, force=force, dry_run=dry_run, progress=report
            )

    requeued, refused = _run(go())
    err.print(f"{'would requeue' if dry_run else 'requeued'} {requeued}; refused {refused}")
    if refused:
        raise typer.Exit(1)


@dlq_app.command("purge")
def dlq_purge(
    group: GroupArg, yes: Annotated[bool, typer.Option("--yes", help="really delete")] = False
) -> None:
    """Delete every dead letter of the group."""
    if not yes:
        err.print("[red]purging deletes the dead letters for good; add --yes[/red]")
        raise typer.Exit(2)
    url = _bus_url()

    async def go() -> int:
        async with dead_letters(url, group) as dlq:
            return await dlq.purge()

    err.print(f"purged {_run(go())} dead letter(s)")
