"""The batch writer's reliance on aiosqlite internals, pinned.

`journal/sqlite/writer.py` hands a whole batch to a connection's thread through
`aiosqlite.Connection._execute(fn, connection._conn, …)`. aiosqlite has no public way to
do that, so these tests fail first, and say why, when an upgrade changes what the writer
relies on; and they check nothing else in the tree reaches into aiosqlite.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import threading
from pathlib import Path

import aiosqlite

from journal.sqlite import writer

# The aiosqlite releases whose `core.Connection` was read for this; `pyproject.toml` caps
# the dependency below the next one. To allow a newer release, read its `core.py`, check
# the two tests below still describe it, then add it here and raise the cap.
TESTED = ("0.22",)

ROOT = Path(__file__).resolve().parents[4]
PACKAGES = ("contracts", "bus", "journal", "objects", "services", "gateway")


def test_the_installed_aiosqlite_is_one_the_writer_was_checked_against() -> None:
    minor = ".".join(aiosqlite.__version__.split(".")[:2])
    assert minor in TESTED, (
        f"aiosqlite {aiosqlite.__version__} was not checked against journal/sqlite/writer.py "
        "(it calls Connection._execute with Connection._conn); see this test's comment"
    )


def test_the_cap_in_pyproject_matches_the_tested_releases() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    match = re.search(r'"aiosqlite>=([\d.]+),<([\d.]+)"', pyproject)
    assert match, "pyproject.toml must cap aiosqlite, whose internals the writer uses"
    major, minor = TESTED[-1].split(".")
    assert match[2] == f"{major}.{int(minor) + 1}"


async def test_execute_runs_a_callable_on_the_connections_thread(tmp_path: Path) -> None:
    db = await aiosqlite.connect(tmp_path / "pin.sqlite", isolation_level=None)
    try:
        assert isinstance(db._conn, sqlite3.Connection)
        assert "fn" in inspect.signature(aiosqlite.Connection._execute).parameters

        def probe(conn: sqlite3.Connection, n: int) -> tuple[int, int]:
            (value,) = conn.execute("SELECT ? + 1", (n,)).fetchone()
            return threading.get_ident(), value

        thread, value = await db._execute(probe, db._conn, 41)  # type: ignore[no-untyped-call]
        assert value == 42
        assert thread != threading.get_ident(), "the call ran on the connection's own thread"
        again, _ = await db._execute(probe, db._conn, 0)  # type: ignore[no-untyped-call]
        assert again == thread, "every call of one connection runs on the same thread"
    finally:
        await db.close()


def test_only_the_writer_touches_aiosqlite_internals() -> None:
    """import-linter lets only `journal.sqlite` import aiosqlite; within it, only the
    writer reaches past the public API."""
    imports = re.compile(r"^(import|from) aiosqlite", re.MULTILINE)
    private = re.compile(r"\._(execute|conn|connection|tx)\b")
    allowed = Path(writer.__file__).resolve()
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text("utf-8")
            if path.resolve() == allowed or not imports.search(text):
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{number}"
                for number, line in enumerate(text.splitlines(), 1)
                if private.search(line)
            ]
    assert offenders == []
