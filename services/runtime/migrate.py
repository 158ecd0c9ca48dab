"""Numbered SQL migrations, one PostgreSQL schema per domain, applied idempotently.

Each domain keeps `schema/NNNN_title.sql` files in its package. A migration runs in one
transaction with `search_path` set to the domain's schema and is recorded in
`public.eco2_migrations` with its checksum; an applied file that changed is an error.
An advisory lock keeps concurrent `eco2 migrate` runs (several pods) from racing.

The tables every domain shapes alike, the outbox and the inbox (`journal.postgres.outbox`,
`journal.postgres.inbox`), are written once: a migration includes one with a line of its own,
`-- eco2:include outbox`, which `discover` replaces by that table's DDL. The checksum is of
the result, so a changed definition is caught like a changed file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg

from journal.postgres.inbox import INBOX_DDL
from journal.postgres.outbox import OUTBOX_DDL

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_DOMAIN = re.compile(r"^[a-z][a-z0-9_]*$")
_LOCK_KEY = 0x6563_6F32  # "eco2"
_INCLUDE = re.compile(r"^-- eco2:include (\S+)$", re.MULTILINE)

# What `-- eco2:include <name>` stands for.
SHARED_TABLES = {"outbox": OUTBOX_DDL, "inbox": INBOX_DDL}


class MigrationError(Exception):
    """The migrations on disk and in the database disagree, or one failed."""


@dataclass(frozen=True)
class Migration:
    domain: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def expand(domain: str, name: str, sql: str) -> str:
    """`sql` with each `-- eco2:include <table>` line replaced by that table's DDL."""

    def table(match: re.Match[str]) -> str:
        ddl = SHARED_TABLES.get(match[1])
        if ddl is None:
            known = ", ".join(sorted(SHARED_TABLES))
            raise MigrationError(f"{domain} {name}: no shared table {match[1]!r} ({known})")
        return ddl.strip()

    return _INCLUDE.sub(table, sql)


def discover(domain: str, folder: Traversable) -> list[Migration]:
    if not _DOMAIN.match(domain):
        raise MigrationError(f"bad domain name {domain!r}")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            sql = expand(domain, entry.name, entry.read_text("utf-8"))
            found.append(Migration(domain, int(match[1]), match[2], sql))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"{domain}: migrations must be numbered 0001.. without gaps")
    return found


def package_migrations(domains: Iterable[tuple[str, str]]) -> list[Migration]:
    """Migrations of each `(domain, package)`, read from `<package>/schema/`."""
    out: list[Migration] = []
    for domain, package in domains:
        out.extend(discover(domain, resources.files(package) / "schema"))
    return out


async def migrate(url: str, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply what is missing; return what was applied now."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            return await _apply(connection, migrations)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await connection.close()


async def _apply(
    connection: asyncpg.Connection, migrations: Sequence[Migration]
) -> list[Migration]:
    await connection.execute(
        """CREATE TABLE IF NOT EXISTS public.eco2_migrations (
               domain text NOT NULL,
               version int NOT NULL,
               name text NOT NULL,
               checksum text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now(),
               PRIMARY KEY (domain, version))"""
    )
    rows = await connection.fetch("SELECT domain, version, checksum FROM public.eco2_migrations")
    applied = {(r["domain"], r["version"]): r["checksum"] for r in rows}
    done = []
    for migration in migrations:
        key = (migration.domain, migration.version)
        if key in applied:
            if applied[key] != migration.checksum:
                raise MigrationError(
                    f"{migration.domain} {migration.version:04d}_{migration.name} was changed "
                    "after it was applied; add a new migration instead"
                )
            continue
        try:
            async with connection.transaction():
                await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{migration.domain}"')
                await connection.execute(f'SET LOCAL search_path TO "{migration.domain}", public')
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO public.eco2_migrations (domain, version, name, checksum)"
                    " VALUES ($1, $2, $3, $4)",
                    migration.domain,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
        except asyncpg.PostgresError as exc:
            raise MigrationError(
                f"{migration.domain} {migration.version:04d}_{migration.name} failed: {exc}"
            ) from exc
        done.append(migration)
    return done
