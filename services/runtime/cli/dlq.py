"""`eco2 dlq …`: list, show, requeue and purge a consumer group's dead letters on
RabbitMQ. Requeueing has a loop guard: a letter requeued `--max-requeues` times already is
refused (exit 3) unless `--force`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bus.rabbit.dlq import DeadLetter, dead_letters
from services.runtime.cli.selection import JsonOpt
from services.runtime.cli.shell import (
    ExitCode,
    err,
    fail,
    out,
    print_json,
    print_pretty,
    run,
    settings,
    usage,
)

app = typer.Typer(
    name="dlq", help="List, show, requeue and purge dead letters (RabbitMQ).", no_args_is_help=True
)

GroupArg = Annotated[str, typer.Argument(help="consumer group, e.g. storage")]


def _bus_url() -> str:
    url = settings().bus_url
    if not url.startswith("amqp"):
        usage("dead-letter commands need ECO2_BUS_URL=amqp://…")
    return url


@app.command("ls")
def dlq_ls(
    group: GroupArg, limit: Annotated[int, typer.Option(min=1)] = 50, as_json: JsonOpt = False
) -> None:
    """List dead letters (they stay in the queue)."""
    url = _bus_url()

    async def go() -> tuple[int, list[DeadLetter]]:
        async with dead_letters(url, group) as dlq:
            return await dlq.count(), await dlq.browse(limit)

    total, letters = run(go())
    if as_json:
        for letter in letters:
            print_json({k: v for k, v in letter.as_dict().items() if k != "body"})
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


@app.command("show")
def dlq_show(group: GroupArg, message_id: str, as_json: JsonOpt = False) -> None:
    """One dead letter with its body."""
    url = _bus_url()

    async def go() -> list[DeadLetter]:
        async with dead_letters(url, group) as dlq:
            return await dlq.browse()

    found = [d for d in run(go()) if d.message_id == message_id]
    if not found:
        fail(f"no dead letter {message_id} in eco2.{group}.dead")
    if as_json:
        print_json(found[0].as_dict())
    else:
        print_pretty(found[0].as_dict())


@app.command("requeue")
def dlq_requeue(
    group: GroupArg,
    ids: Annotated[list[str], typer.Option("--id", help="message id (repeatable)")] = [],  # noqa: B006
    all_: Annotated[bool, typer.Option("--all", help="every dead letter")] = False,
    reason: Annotated[str | None, typer.Option(help="only those dead for this reason")] = None,
    max_requeues: Annotated[int, typer.Option(help="loop guard")] = 3,
    force: Annotated[bool, typer.Option(help="ignore the loop guard")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Send dead letters back to their original route (exit 3 when the guard refuses some)."""
    if not (ids or all_ or reason):
        usage("choose --id, --reason or --all")
    url = _bus_url()
    wanted = set(ids)

    def select(d: DeadLetter) -> bool:
        return (all_ or d.message_id in wanted or not wanted) and (reason in (None, d.reason))

    def report(d: DeadLetter, what: str) -> None:
        err.print(f"{d.message_id} {d.type}: {escape(what)}")

    async def go() -> tuple[int, int]:
        async with dead_letters(url, group) as dlq:
            return await dlq.requeue(
                select, max_requeues=max_requeues, force=force, dry_run=dry_run, progress=report
            )

    requeued, refused = run(go())
    err.print(f"{'would requeue' if dry_run else 'requeued'} {requeued}; refused {refused}")
    if refused:
        raise typer.Exit(ExitCode.PARTIAL)


@app.command("purge")
def dlq_purge(
    group: GroupArg, yes: Annotated[bool, typer.Option("--yes", help="really delete")] = False
) -> None:
    """Delete every dead letter of the group."""
    if not yes:
        usage("purging deletes the dead letters for good; add --yes")
    url = _bus_url()

    async def go() -> int:
        async with dead_letters(url, group) as dlq:
            return await dlq.purge()

    err.print(f"purged {run(go())} dead letter(s)")
