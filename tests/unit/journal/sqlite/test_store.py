"""The journal store: entries, attempts, checkpoints, group commit, files and copies."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts import new_envelope
from journal.sqlite.store import Journal, JournalCorrupt, JournalError, JournalNotFound, State
from tests.contract.messages import Note


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    opened = await Journal.open(tmp_path / "worker.journal", worker="test")
    yield opened
    await opened.close()


async def test_begin_records_once_and_counts_attempts(journal: Journal) -> None:
    envelope = new_envelope(Note(text="a"))
    first = await journal.begin(envelope)
    assert (first.state, first.attempts, first.outcome, first.checkpoints) == (
        State.RECEIVED,
        1,
        None,
        {},
    )
    await journal.checkpoint(first.message_id, "vision", '{"major": "x"}')
    again = await journal.begin(envelope)
    assert again.attempts == 2
    assert again.checkpoints == {"vision": '{"major": "x"}'}
    entry = await journal.get(first.message_id)
    assert entry is not None
    assert entry.envelope["payload"] == {"text": "a"}
    assert entry.checkpoints == {"vision": '{"major": "x"}'}


async def test_states_move_to_completed_or_failed_and_keep_the_outcome(journal: Journal) -> None:
    done, bad = new_envelope(Note(text="ok")), new_envelope(Note(text="bad"))
    for envelope in (done, bad):
        await journal.begin(envelope)
        journal.mark_processing(str(envelope.message_id))
    await journal.checkpoint(str(done.message_id), "s", "1")  # flushes the processing marks
    assert (await journal.get(str(done.message_id))).state is State.PROCESSING  # type: ignore[union-attr]
    await journal.complete(str(done.message_id), [{"m": 1}])
    await journal.fail(str(bad.message_id), "not an image", [{"m": 2}])
    finished = await journal.begin(done)
    assert (finished.state, finished.outcome) == (State.COMPLETED, [{"m": 1}])
    failed = await journal.get(str(bad.message_id))
    assert failed is not None
    assert (failed.state, failed.error, failed.synced) == (State.FAILED, "not an image", False)
    stats = await journal.stats()
    assert stats.by_state["completed"] == 1
    assert stats.by_state["failed"] == 1
    assert stats.backlog == 2
    assert stats.by_type == {"testbus.note": {"completed": 1, "failed": 1}}


async def test_concurrent_writes_are_group_committed(journal: Journal) -> None:
    envelopes = [new_envelope(Note(text=str(i))) for i in range(200)]
    before = journal.commits
    await asyncio.gather(*(journal.begin(e) for e in envelopes))
    await asyncio.gather(*(journal.complete(str(e.message_id), []) for e in envelopes))
    assert journal.commits - before <= 6, "200 begins and 200 completions in a few transactions"
    assert (await journal.stats()).by_state["completed"] == 200


async def test_sync_marks_and_prune(journal: Journal) -> None:
    envelopes = [new_envelope(Note(text=str(i))) for i in range(5)]
    for e in envelopes:
        await journal.begin(e)
        await journal.complete(str(e.message_id), [])
    pending = await journal.unsynced(limit=3)
    assert len(pending) == 3
    await journal.mark_synced([e.message_id for e in pending])
    assert (await journal.stats()).backlog == 2
    assert await journal.prune(before=float("inf")) == 3
    assert (await journal.stats()).by_state["completed"] == 2


async def test_filters(journal: Journal) -> None:
    a, b = new_envelope(Note(text="a")), new_envelope(Note(text="b"))
    await journal.begin(a)
    await journal.begin(b)
    await journal.complete(str(b.message_id), [])
    assert [e.message_id for e in await journal.entries(states=[State.RECEIVED])] == [
        str(a.message_id)
    ]
    assert len(await journal.entries(types=["testbus.note"], limit=1)) == 1
    assert await journal.entries(since=9e12) == []
    assert len(await journal.unfinished(touched_before=9e12)) == 1


async def test_a_file_describes_itself_and_a_snapshot_reads_alone(
    journal: Journal, tmp_path: Path
) -> None:
    await journal.begin(new_envelope(Note(text="x")))
    meta = await journal.meta()
    assert meta["format"] == "eco2-journal"
    assert meta["worker"] == "test"
    assert meta["schema_version"] == "1"
    copy = tmp_path / "copy.journal"
    await journal.snapshot(copy)
    reader = await Journal.open(copy, readonly=True)
    try:
        assert (await reader.stats()).by_state["received"] == 1
        with pytest.raises(JournalError, match="read-only"):
            await reader.begin(new_envelope(Note(text="y")))
    finally:
        await reader.close()


async def test_missing_and_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(JournalNotFound):
        await Journal.open(tmp_path / "none.journal", readonly=True)
    junk = tmp_path / "junk.journal"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalCorrupt):
        await Journal.open(junk)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(JournalCorrupt, match="not an eco2 journal"):
        await Journal.open(other)


async def test_reopening_keeps_entries_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "w.journal"
    first = await Journal.open(path, synchronous="FULL")
    envelope = new_envelope(Note(text="kept"))
    await first.begin(envelope)
    await first.close()
    second = await Journal.open(path)
    try:
        assert (await second.begin(envelope)).attempts == 2
    finally:
        await second.close()
