"""`eco2 journal …` on real journal files: inspection (read-only, JSON), copies, pruning,
clear errors, and replaying a failed scan through the current code after its cause is fixed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts import new_envelope
from contracts.scan.v1 import ScanRequested
from journal.sqlite.store import Journal, State
from services.runtime.cli import app
from support import images
from tests.contract.messages import Note

runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    path = tmp_path / "ai.journal"

    async def fill() -> None:
        j = await Journal.open(path, worker="ai")
        for i in range(3):
            envelope = new_envelope(Note(text=str(i)))
            await j.begin(envelope)
            if i < 2:
                await j.complete(str(envelope.message_id), [{"n": i}])
        await j.close()

    asyncio.run(fill())
    return path


def test_stats_ls_show_export_as_json(journal_file: Path, tmp_path: Path) -> None:
    code, stdout, _ = _run("journal", "stats", str(journal_file), "--json")
    assert code == 0
    stats = json.loads(stdout)
    assert stats["by_state"] == {"received": 1, "processing": 0, "completed": 2, "failed": 0}
    assert stats["backlog"] == 2
    assert stats["meta"]["worker"] == "ai"

    code, stdout, _ = _run("journal", "ls", str(journal_file), "--state", "completed", "--json")
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert code == 0
    assert [r["state"] for r in rows] == ["completed", "completed"]

    code, stdout, _ = _run("journal", "show", str(journal_file), rows[0]["message_id"], "--json")
    assert json.loads(stdout)["outcome"] == [{"n": 0}]

    out = tmp_path / "all.jsonl"
    code, _, stderr = _run("journal", "export", str(journal_file), "--out", str(out))
    assert code == 0
    assert "exported 3" in stderr
    assert len(out.read_text().splitlines()) == 3

    code, stdout, _ = _run("journal", "stats", str(journal_file))
    assert code == 0
    assert "backlog" in stdout


def test_copy_is_readable_alone_and_prune_keeps_unsynced(
    journal_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.journal"
    assert _run("journal", "copy", str(journal_file), str(copy))[0] == 0
    code, stdout, _ = _run("journal", "stats", str(copy), "--json")
    assert json.loads(stdout)["by_state"]["completed"] == 2
    code, _, stderr = _run("journal", "prune", str(journal_file), "--older-than", "0s")
    assert code == 0
    assert "pruned 0" in stderr, "unsynced entries are never pruned"


@pytest.mark.postgres
def test_replay_reruns_a_failed_scan_once_its_cause_is_fixed(
    tmp_path: Path, postgres_url: str
) -> None:
    """A scan failed because its upload was not an image; the upload is replaced, and
    `replay --state failed` runs it again through the storage worker's current code."""
    objects = tmp_path / "objects"
    (objects / "uploads").mkdir(parents=True)
    (objects / "uploads" / "s1.jpg").write_bytes(b"not an image")
    env = {
        "ECO2_DATA_DIR": str(tmp_path / "var"),
        "ECO2_OBJECT_STORE_URL": str(objects),
        "ECO2_DATABASE_URL": postgres_url,
    }
    path = tmp_path / "var" / "journal" / "storage.journal"
    task = new_envelope(ScanRequested(scan_id="s1", user_id="u1", image_key="uploads/s1.jpg"))

    async def failed_once() -> None:
        j = await Journal.open(path, worker="storage")
        await j.begin(task)
        await j.fail(str(task.message_id), "invalid_image: the file is not a readable image", [])
        await j.close()

    asyncio.run(failed_once())
    code, stdout, _ = _run(
        "journal", "replay", "storage", "--state", "failed", "--dry-run", env=env
    )
    assert code == 0
    assert f"would re-run {task.message_id}" in stdout

    (objects / "uploads" / "s1.jpg").write_bytes(images.jpeg())
    code, _, stderr = _run("journal", "replay", "storage", "--state", "failed", env=env)
    assert code == 0, stderr
    assert "replayed 1" in stderr

    async def entry_state() -> tuple[State, int]:
        j = await Journal.open(path, readonly=True)
        entry = await j.get(str(task.message_id))
        await j.close()
        assert entry is not None
        return entry.state, len(entry.outcome or [])

    assert asyncio.run(entry_state()) == (State.COMPLETED, 1)
    assert any((objects / "prepared").iterdir())


@pytest.mark.postgres
def test_replay_exits_3_naming_the_entries_that_fail_again(
    journal_file: Path, tmp_path: Path, postgres_url: str
) -> None:
    """The stored outcomes of the fixture's entries are not envelopes, so republishing them
    fails: every entry is tried, each failure is named, and the exit code is 3."""
    env = {"ECO2_DATA_DIR": str(tmp_path / "var"), "ECO2_DATABASE_URL": postgres_url}
    code, _, stderr = _run(
        "journal", "replay", str(journal_file), "--state", "completed", "--republish", env=env
    )
    assert code == 3
    assert "replayed 0 entries, 2 failed again" in stderr
    assert len([line for line in stderr.splitlines() if "validation error" in line]) == 2
