"""Wiring a journaled worker: its journal file, the worker runtime, the sync loop to
PostgreSQL and crash recovery, closed in the right order when the process stops."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack

from bus.ports import Subscription
from journal.faults import Faults
from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Journal
from journal.sqlite.sync import SyncLoop
from journal.sqlite.worker import JournaledWorker
from services.kit.worker import WorkerSpec
from services.runtime.resources import Resources


async def journaled(
    resources: Resources, stack: AsyncExitStack, name: str, spec: WorkerSpec
) -> Subscription:
    """Worker `name` (its journal file is `<name>.journal`) consuming for `spec`."""
    settings = resources.settings
    work, on_failure = spec.work, spec.on_failure
    faults = Faults.parse(settings.faults)
    journal = await Journal.open(
        settings.journal_dir / f"{name}.journal",
        worker=name,
        synchronous=settings.journal_synchronous,
    )
    stack.push_async_callback(journal.close)
    worker = JournaledWorker(
        journal,
        resources.bus,
        resources.registry,
        work,
        on_failure,
        max_attempts=settings.max_attempts,
        faults=faults,
        recovery_delay=settings.recovery_delay,
    )
    sync = SyncLoop(
        journal,
        PostgresTarget(resources.db),
        worker=name,
        batch_size=settings.sync_batch_size,
        max_delay=settings.sync_max_delay,
        faults=faults,
    )
    syncing = asyncio.create_task(sync.run(), name=f"{name}:sync")
    recovering = asyncio.create_task(worker.recover(), name=f"{name}:recover")

    async def stop() -> None:
        recovering.cancel()
        await sync.stop()
        for task in (recovering, syncing):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    stack.push_async_callback(stop)
    return Subscription(spec.group, list(spec.bindings), worker.handle)
