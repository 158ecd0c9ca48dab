"""Numbered per-domain migrations against real PostgreSQL: applied once, in order, guarded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from contracts import new_envelope
from contracts.system.v1 import Ping
from journal.postgres.inbox import claim
from journal.postgres.outbox import enqueue
from services.runtime.migrate import MigrationError, discover, migrate

pytestmark = pytest.mark.postgres


@pytest.fixture
async def domain(postgres_url: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:8]}"
    yield name
    connection = await asyncpg.connect(postgres_url)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    await connection.execute("DELETE FROM public.eco2_migrations WHERE domain = $1", name)
    await connection.close()


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


async def test_migrations_apply_once_in_order_inside_their_schema(
    postgres_url: str, domain: str, tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "schema",
        {
            "0001_items.sql": "CREATE TABLE items (id int PRIMARY KEY);",
            "0002_names.sql": "ALTER TABLE items ADD COLUMN name text;",
            "README.md": "not a migration",
        },
    )
    applied = await migrate(postgres_url, discover(domain, folder))
    assert [(m.version, m.name) for m in applied] == [(1, "items"), (2, "names")]
    assert await migrate(postgres_url, discover(domain, folder)) == []

    connection = await asyncpg.connect(postgres_url)
    await connection.execute(f'INSERT INTO "{domain}".items (id, name) VALUES (1, $1)', "a")
    await connection.close()

    (folder / "0002_names.sql").write_text("ALTER TABLE items ADD COLUMN other text;")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(postgres_url, discover(domain, folder))


async def test_a_failing_migration_leaves_nothing_behind(
    postgres_url: str, domain: str, tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "schema",
        {"0001_ok.sql": "CREATE TABLE ok (id int);", "0002_bad.sql": "CREATE TABLE ok (id int);"},
    )
    with pytest.raises(MigrationError, match="0002_bad failed"):
        await migrate(postgres_url, discover(domain, folder))
    connection = await asyncpg.connect(postgres_url)
    versions = await connection.fetch(
        "SELECT version FROM public.eco2_migrations WHERE domain = $1", domain
    )
    await connection.close()
    assert [r["version"] for r in versions] == [1]


def test_gaps_in_numbering_are_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "schema", {"0001_a.sql": "", "0003_c.sql": ""})
    with pytest.raises(MigrationError, match="without gaps"):
        discover("shop", folder)


async def test_an_included_outbox_and_inbox_work_in_the_domains_schema(
    postgres_url: str, domain: str, tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "schema",
        {"0001_first.sql": "-- eco2:include outbox\n\n-- eco2:include inbox\n"},
    )
    await migrate(postgres_url, discover(domain, folder))
    event = new_envelope(Ping(note="hello"))
    connection = await asyncpg.connect(postgres_url)
    try:
        async with connection.transaction():
            await enqueue(connection, domain, [event])
            assert await claim(connection, domain, event.message_id, "notes")
            assert not await claim(connection, domain, event.message_id, "notes")
        rows = await connection.fetch(f'SELECT message_id, type FROM "{domain}".outbox')
    finally:
        await connection.close()
    assert [(r["message_id"], r["type"]) for r in rows] == [(event.message_id, "system.ping")]
