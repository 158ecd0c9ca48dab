"""`eco2 places import`: load a public data set of collection points into schema `places`.

An operator command that writes the schema directly, like `eco2 migrate`. It reads a CSV
file (`--format keco|zero-waste`, detected from the columns when not given) or pages
through the KECO open-data API (`--from keco-api --service-key KEY`, base URL from
`ECO2_KECO_API_BASE_URL`), upserts every good row keyed on (source, source id) and reports
rows read, imported, updated, unchanged and refused (each with its line and reason).

It runs against the configured database: a real PostgreSQL (`ECO2_DATABASE_URL`) or the
embedded one of `eco2 up` (same `ECO2_DATA_DIR`), joined when it is running and started
otherwise; the embedded database is migrated first, as `eco2 up` does. Exit codes as
every command's (`shell.ExitCode`): 0 when the source was read (refused rows are data),
2 for an unreadable file, an unknown format or bad options, 1 when the database or the
API failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from services.places.errors import SchemaMissing
from services.places.importers import (
    ImportFileError,
    KecoApi,
    KecoApiError,
    Result,
    fetch_keco_rows,
    import_file,
    keco_place,
)
from services.places.importing import Report, write
from services.places.model import Source
from services.runtime import components
from services.runtime.cli.selection import JsonOpt
from services.runtime.cli.shell import err, fail, out, print_json, run, settings, usage
from services.runtime.migrate import migrate, package_migrations
from services.runtime.resources import build_redis, database_url
from services.runtime.settings import Settings

app = typer.Typer(
    name="places", help="Collection points: import public data sets.", no_args_is_help=True
)


class Origin(StrEnum):
    FILE = "file"
    KECO_API = "keco-api"


@app.command("import")
def import_command(
    file: Annotated[
        Path | None, typer.Argument(help="a CSV file (omit with --from keco-api)")
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="keco or zero-waste (default: from the columns)"),
    ] = None,
    origin: Annotated[
        Origin, typer.Option("--from", help="file, or keco-api (the open-data API)")
    ] = Origin.FILE,
    service_key: Annotated[
        str | None, typer.Option(help="the data.go.kr service key, for --from keco-api")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report what would change; write nothing")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import collection points (idempotent: a second run of the same data changes nothing)."""
    config = settings()
    if origin is Origin.FILE:
        if file is None:
            usage("give a FILE to import, or --from keco-api")
        try:
            opened = import_file(file, format_)
            source = opened.source.value
            results: list[Result] = list(opened.results)
        except ImportFileError as exc:
            usage(f"{file}: {exc}")
        report = _run(config, lambda url: _from_list(url, source, results, dry_run, as_json))
    else:
        if file is not None or format_ not in (None, Source.KECO.value):
            usage("--from keco-api takes no FILE and only --format keco")
        if not service_key:
            usage("--from keco-api needs --service-key KEY")
        api = KecoApi(base_url=config.keco_api_base_url, service_key=service_key)
        report = _run(config, lambda url: _from_api(url, api, dry_run, as_json))
    if report.changed and not dry_run:
        run(_drop_cache(config))
    _print(report, as_json)


def _run(config: Settings, work: Callable[[str], Awaitable[Report]]) -> Report:
    async def go() -> Report:
        async with database_url(config) as url:
            if urlsplit(config.database_url).scheme == "embedded":
                await migrate(url, package_migrations(components.MIGRATIONS))
            return await work(url)

    try:
        return run(go())
    except (SchemaMissing, KecoApiError) as exc:
        fail(str(exc))


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )


async def _from_list(
    url: str, source: str, results: list[Result], dry_run: bool, quiet: bool
) -> Report:
    with _progress(quiet) as progress:
        task = progress.add_task(f"importing {source}", total=len(results))
        return await write(
            url,
            source,
            results,
            dry_run=dry_run,
            progress=lambda done: progress.update(task, completed=done),
        )


async def _from_api(url: str, api: KecoApi, dry_run: bool, quiet: bool) -> Report:
    timeout = httpx.Timeout(30.0, connect=10.0)
    with _progress(quiet) as progress:
        task = progress.add_task("fetching keco-api pages", total=None)

        def paged(done: int, pages: int | None) -> None:
            progress.update(task, completed=done, total=pages)

        async with httpx.AsyncClient(timeout=timeout) as client:

            async def results() -> AsyncIterator[Result]:
                async for row in fetch_keco_rows(client, api, paged):
                    yield keco_place(row)

            return await write(url, Source.KECO.value, results(), dry_run=dry_run)


async def _drop_cache(settings: Settings) -> None:
    """Bump the nearby cache's generation in a shared Redis (the services' listeners do it
    too; this covers a places service whose listener was reconnecting)."""
    if urlsplit(settings.redis_url).scheme == "memory":
        return
    from services.places.cache import Cache

    redis = build_redis(settings)
    try:
        await Cache(redis, settings.places_cache_ttl).drop_all()
    finally:
        await redis.aclose()


def _print(report: Report, as_json: bool) -> None:
    if as_json:
        print_json(report.as_json())
        return
    title = f"{report.source} import" + (" (dry run: nothing written)" if report.dry_run else "")
    out.print(escape(title), highlight=False)
    table = Table(show_header=False)
    for name in ("read", "imported", "updated", "unchanged"):
        table.add_row(name, str(getattr(report, name)))
    table.add_row("refused", str(len(report.refused)))
    out.print(table)
    for refused in report.refused:
        where = f"line {refused.line}" + (
            f" (source id {refused.source_id})" if refused.source_id else ""
        )
        line = f"refused {where}: {refused.code}: {refused.reason}"
        out.print(escape(line), highlight=False, soft_wrap=True)
