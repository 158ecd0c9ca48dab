"""The outbox and inbox tables are written once and included by every migration using them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from journal.postgres.inbox import INBOX_DDL
from journal.postgres.outbox import OUTBOX_DDL
from services.runtime import components
from services.runtime.migrate import MigrationError, discover, package_migrations

# The checksums the first migrations were applied with before the shared tables were
# included rather than copied: databases migrated then must find them unchanged.
APPLIED = {
    ("accounts", 1): "c42135201e1bc63927d11338c305f57c4e3fe03d7b1057326efb3dd4dbe7c550",
    ("character", 1): "da12b528bbac261714d8f45cd1b39ed813a29b0b71e46c6bfbfbc86de0d4446f",
    ("scan", 1): "cc37bb35bc3f25fe6b693bbc9a860292dc5a8b7ecaa1f9b087b8514580268719",
}


def test_including_the_shared_tables_keeps_the_applied_checksums() -> None:
    found = {(m.domain, m.version): m.checksum for m in package_migrations(components.MIGRATIONS)}
    assert {key: found[key] for key in APPLIED} == APPLIED


@pytest.mark.parametrize(
    ("domain", "tables"),
    [("accounts", ("outbox", "inbox")), ("scan", ("outbox", "inbox")), ("character", ("inbox",))],
)
def test_each_schema_gets_the_one_definition(domain: str, tables: tuple[str, ...]) -> None:
    [first, *_] = package_migrations([(domain, f"services.{domain}")])
    ddl = {"outbox": OUTBOX_DDL, "inbox": INBOX_DDL}
    for table in tables:
        assert ddl[table].strip() in first.sql


def test_no_migration_in_the_tree_copies_a_shared_table() -> None:
    for _, package in components.MIGRATIONS:
        for entry in (resources.files(package) / "schema").iterdir():
            text = entry.read_text("utf-8") if entry.name.endswith(".sql") else ""
            assert "CREATE TABLE outbox" not in text, f"{package}/{entry.name}"
            assert "CREATE TABLE inbox" not in text, f"{package}/{entry.name}"


def test_an_include_of_an_unknown_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (id int);\n-- eco2:include outbx\n")
    with pytest.raises(MigrationError, match="no shared table 'outbx'"):
        discover("notes", tmp_path)


def test_an_include_line_becomes_the_table(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("-- eco2:include inbox\nCREATE TABLE a (id int);\n")
    [migration] = discover("notes", tmp_path)
    assert migration.sql == INBOX_DDL.strip() + "\nCREATE TABLE a (id int);\n"
