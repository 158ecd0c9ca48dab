"""`eco2 journal replay`: run selected entries again through the current code, or publish
their stored outcomes again. Outcome ids derive from the task's id, so consumers drop what
they already have; entries that fail again are named and make the command exit 3."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from bus.ports import Message
from contracts import Envelope
from journal.sqlite.store import Entry, Journal, JournalError
from journal.sqlite.worker import JournaledWorker
from services.runtime import components
from services.runtime.cli.selection import (
    JournalArg,
    SinceOpt,
    StateOpt,
    TypeOpt,
    open_journal,
    select,
    states,
    when,
)
from services.runtime.cli.shell import ExitCode, err, out, run, settings, usage
from services.runtime.resources import open_resources
from services.runtime.settings import Settings

RERUNNABLE = ("ai", "storage")


def replay(
    journal: JournalArg,
    ids: Annotated[list[str], typer.Option("--id", help="message id (repeatable)")] = [],  # noqa: B006
    state: StateOpt = [],  # noqa: B006
    type_: TypeOpt = [],  # noqa: B006
    since: SinceOpt = None,
    republish: Annotated[bool, typer.Option(help="publish stored outcomes, do not re-run")] = False,
    keep_checkpoints: Annotated[bool, typer.Option(help="re-run from saved steps")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only say what would happen")] = False,
) -> None:
    """Re-run selected entries through the current code, or republish their outcomes.

    Outcome ids derive from the task's id, so consumers drop what they already have.
    Exits 3 when some entries fail again.
    """
    if not (ids or state or type_ or since):
        usage("select entries with --id, --state, --type or --since")
    chosen_states, after = states(state), when(since)
    config = settings()

    async def go() -> tuple[int, int]:
        async with open_journal(journal, readonly=dry_run) as j:
            chosen = await select(j, ids, chosen_states, type_, after)
            if dry_run:
                verb = "republish" if republish else "re-run"
                for e in chosen:
                    out.print(f"would {verb} {e.message_id} {e.type} ({e.state.value})")
                return len(chosen), 0
            return await _replay(j, config, chosen, republish, keep_checkpoints)

    done, failed = run(go())
    err.print(
        f"{'selected' if dry_run else 'replayed'} {done} entries"
        + (f", {failed} failed again" if failed else "")
    )
    if failed:
        raise typer.Exit(ExitCode.PARTIAL)


async def _replay(
    j: Journal, config: Settings, chosen: list[Entry], republish: bool, keep_checkpoints: bool
) -> tuple[int, int]:
    worker_name = (await j.meta()).get("worker", "")
    if worker_name not in RERUNNABLE and not republish:
        raise JournalError(f"cannot re-run entries of worker {worker_name!r}; try --republish")
    async with open_resources(config) as res, contextlib.AsyncExitStack() as stack:
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
                    err.print(f"{entry.message_id}: {escape(str(exc))}")
                progress.update(task, advance=1)
        return done, failed
