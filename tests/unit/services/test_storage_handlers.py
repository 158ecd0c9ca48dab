"""The storage worker's task end to end on the memory bus: upload in, clean image or a
clear, final failure out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bus.memory import MemoryBroker, MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Subscription
from contracts import Envelope, new_envelope
from contracts.catalog import build_registry
from contracts.scan.v1 import ImagePrepared, ScanFailed, ScanRequested
from journal.sqlite.store import Journal, State
from journal.sqlite.worker import JournaledWorker
from objects import LocalObjectStore, ObjectStoreError
from services.storage import handlers
from support import images
from tests.contract.bus_suite import Recorder, eventually

POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, factor=2, max_delay=0.05)
LIMIT = 1024 * 1024


class FlakyStore(LocalObjectStore):
    """Fails the first `failures` writes, as S3 does now and then."""

    def __init__(self, root: Path, failures: int) -> None:
        super().__init__(root)
        self.failures = failures

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ObjectStoreError(f"{key}: 503 slow down")
        await super().put(key, data, content_type)


@dataclass
class Rig:
    objects: LocalObjectStore
    journal: Journal
    broker: MemoryBroker
    outcomes: Recorder

    async def submit(self, data: bytes | None, key: str = "uploads/s1.jpg") -> Envelope:
        if data is not None:
            await self.objects.put(key, data, "image/jpeg")
        task = new_envelope(ScanRequested(scan_id="s1", user_id="u1", image_key=key))
        bus = MemoryBus(build_registry(), broker=self.broker)
        await bus.publish(task)
        await eventually(lambda: len(self.outcomes.seen) == 1)
        return task

    def outcome(self) -> Any:
        return self.outcomes.seen[0].payload


Make = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    opened: list[tuple[Journal, MemoryBus]] = []

    async def build(objects: LocalObjectStore | None = None, max_bytes: int = LIMIT) -> Rig:
        objects = objects or LocalObjectStore(tmp_path / "objects")
        journal = await Journal.open(tmp_path / "storage.journal", worker="storage")
        broker = MemoryBroker()
        bus = MemoryBus(build_registry(), broker=broker, policy=POLICY)
        spec = handlers.worker(handlers.Storage(objects=objects, max_bytes=max_bytes))
        worker = JournaledWorker(
            journal, bus, build_registry(), spec.work, spec.on_failure, max_attempts=3
        )
        outcomes = Recorder()
        bus.subscribe(Subscription(spec.group, list(spec.bindings), worker.handle))
        bus.subscribe(Subscription("scan", ["scan.image_prepared", "scan.failed"], outcomes))
        await bus.start()
        opened.append((journal, bus))
        return Rig(objects, journal, broker, outcomes)

    yield build
    for journal, bus in opened:
        await bus.close()
        await journal.close()


async def test_an_upload_is_prepared_under_its_hash_and_the_original_is_kept(make: Make) -> None:
    rig = await make()
    await rig.submit(images.jpeg(2000, 1500, orientation=6, gps=True))
    prepared = rig.outcome()
    assert isinstance(prepared, ImagePrepared)
    assert prepared.image_key == f"prepared/{prepared.content_hash}.jpg"
    assert (prepared.width, prepared.height) == (768, 1024)
    stored = await rig.objects.get(prepared.image_key)
    with Image.open(io.BytesIO(stored)) as out:
        assert (out.format, out.size) == ("JPEG", (768, 1024))
        assert dict(out.getexif()) == {}
    assert await rig.objects.get("uploads/s1.jpg"), "the upload stays for replays"


async def test_a_text_file_named_jpg_fails_once_clearly_and_is_dead_lettered(
    make: Make,
) -> None:
    rig = await make()
    task = await rig.submit(b"this is not a photo, just text")
    failure = rig.outcome()
    assert isinstance(failure, ScanFailed)
    assert (failure.stage, failure.code) == ("storage", "invalid_image")
    assert failure.message == "the file is not a readable image"
    await eventually(lambda: len(rig.broker.dead[handlers.GROUP]) == 1)
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts) == (State.FAILED, 1), "rejected, never retried"


async def test_a_refused_format_names_the_accepted_ones(make: Make) -> None:
    rig = await make()
    await rig.submit(images.gif(frames=2))
    failure = rig.outcome()
    assert isinstance(failure, ScanFailed)
    assert failure.code == "invalid_image"
    assert "send JPEG, PNG or WebP" in failure.message


async def test_an_upload_over_the_limit_is_refused_without_reading_it(make: Make) -> None:
    rig = await make(max_bytes=2048)
    await rig.submit(images.jpeg(2000, 1500))
    failure = rig.outcome()
    assert isinstance(failure, ScanFailed)
    assert failure.code == "invalid_image"
    assert failure.message.endswith("the limit is 2048")


async def test_a_missing_upload_fails_as_not_found(make: Make) -> None:
    rig = await make()
    await rig.submit(None, key="uploads/never-sent.jpg")
    failure = rig.outcome()
    assert isinstance(failure, ScanFailed)
    assert failure.code == "image_not_found"
    assert "uploads/never-sent.jpg" in failure.message


async def test_a_store_failure_is_retried_not_rejected(make: Make, tmp_path: Path) -> None:
    objects = FlakyStore(tmp_path / "objects", failures=0)
    await objects.put("uploads/s1.jpg", images.png(), "image/png")
    objects.failures = 1  # the worker's write of the prepared image fails once
    rig = await make(objects)
    task = await rig.submit(None)
    assert isinstance(rig.outcome(), ImagePrepared)
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts) == (State.COMPLETED, 2)
    assert rig.broker.dead[handlers.GROUP] == []
