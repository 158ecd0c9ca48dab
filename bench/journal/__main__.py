"""Journal benchmarks, each against a raw baseline in the same run; prints rates and ratios.

- worker: journaled worker (one no-op step) through RabbitMQ vs a plain aio-pika
  consume -> publish outcome -> ack loop (target >= 0.5)
- commit: journal begin+complete with group commit vs one commit per entry
- sync:   sync loop rows/s into PostgreSQL vs a plain asyncpg COPY of the same rows
  (target >= 0.8)

    python -m bench.journal [worker|commit|sync ...] [--tasks N] [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import aiosqlite
import asyncpg

from bench.bus import Tick
from bus.policy import RetryPolicy
from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from bus.rabbit.topology import delete_group
from contracts import Payload, new_envelope
from contracts.catalog import build_registry
from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Journal
from journal.sqlite.sync import SyncLoop
from journal.sqlite.worker import JournaledWorker, Steps
from support.databases import fresh_database
from support.env import POSTGRES_URL, RABBIT_URL

PREFETCH = 100


# --- worker ----------------------------------------------------------------------------


async def raw_worker(url: str, total: int) -> float:
    """The same messages (envelope bodies, the same exchange and bindings) handled by a
    plain aio-pika loop: parse the body, publish an outcome with confirm, ack."""
    name = f"bench.raw.{uuid.uuid4().hex[:8]}"
    kind, outcome_kind = f"{name}.tick", f"{name}.done"
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=PREFETCH)
        events = await channel.declare_exchange("eco2.events", "topic", durable=True)
        tasks = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        outcomes = await channel.declare_queue(
            name + ".out", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await tasks.bind(events, kind)
        await outcomes.bind(events, outcome_kind)
        await asyncio.gather(
            *(
                events.publish(
                    aio_pika.Message(
                        new_envelope(Tick(n=i, text="x" * 64)).model_dump_json().encode(),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    kind,
                )
                for i in range(total)
            )
        )
        done = asyncio.Event()
        seen = 0

        async def on_task(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            task = json.loads(message.body)
            outcome = {
                **task,
                "message_id": str(uuid.uuid4()),
                "causation_id": task["message_id"],
                "type": "bench.done",
                "payload": {"n": task["payload"]["n"], "ok": True},
            }
            await events.publish(
                aio_pika.Message(
                    json.dumps(outcome).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                outcome_kind,
            )
            await message.ack()
            seen += 1
            if seen == total:
                done.set()

        started = time.perf_counter()
        tag = await tasks.consume(on_task)
        await done.wait()
        elapsed = time.perf_counter() - started
        await tasks.cancel(tag)
        await tasks.delete(if_unused=False, if_empty=False)
        await outcomes.delete(if_unused=False, if_empty=False)
    return total / elapsed


class Done(Payload):
    __message_type__ = "bench.done"
    __version__ = 1

    n: int
    ok: bool


async def journaled_worker(url: str, total: int) -> float:
    registry = build_registry().register(Tick, Done).validate()
    group = f"bench{uuid.uuid4().hex[:8]}"
    directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
    journal = await Journal.open(directory / "bench.journal", worker="bench")
    bus = RabbitBus(url, registry, prefetch=PREFETCH)
    done = asyncio.Event()
    seen = 0

    async def work(message: Message[Any], steps: Steps) -> list[Payload]:
        nonlocal seen
        await steps.run("noop", _noop)
        return [Done(n=message.payload.n, ok=True)]

    async def count(message: Message[Any]) -> None:
        nonlocal seen
        seen += 1
        if seen == total:
            done.set()

    worker = JournaledWorker(journal, bus, registry, work, lambda m, r: [], max_attempts=5)

    async def handle(message: Message[Any]) -> None:
        await worker.handle(message)
        await count(message)

    bus.subscribe(Subscription(group, ["bench.tick"], handle))
    await bus.start()
    # Outcomes land in a queue nobody consumes, as the raw baseline's do.
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        sink_queue = await channel.declare_queue(
            f"eco2.{group}.out", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await sink_queue.bind("eco2.events", routing_key="bench.done")
    publisher = RabbitBus(url, registry)
    await publisher.start()
    # Fill the queue first, as the raw baseline does, then measure consuming it.
    await bus.close()
    bus = RabbitBus(url, registry, prefetch=PREFETCH)
    worker = JournaledWorker(journal, bus, registry, work, lambda m, r: [], max_attempts=5)
    bus.subscribe(Subscription(group, ["bench.tick"], handle))
    await asyncio.gather(
        *(publisher.publish(new_envelope(Tick(n=i, text="x" * 64))) for i in range(total))
    )
    started = time.perf_counter()
    await bus.start()
    await done.wait()
    elapsed = time.perf_counter() - started
    for b in (publisher, bus):
        await b.close()
    await journal.close()
    await _delete_groups(url, [group, group + ".out"])
    return total / elapsed


async def _noop() -> dict[str, bool]:
    return {}


async def _delete_groups(url: str, groups: list[str]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for group in groups:
            await delete_group(channel, group, RetryPolicy().tiers())


# --- commit ----------------------------------------------------------------------------


async def group_commit(total: int, window: int) -> float:
    directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
    journal = await Journal.open(directory / "bench.journal")
    envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(total)]

    async def one(i: int) -> None:
        await journal.begin(envelopes[i])
        await journal.complete(str(envelopes[i].message_id), [])

    started = time.perf_counter()
    for start in range(0, total, window):
        await asyncio.gather(*(one(i) for i in range(start, min(start + window, total))))
    elapsed = time.perf_counter() - started
    await journal.close()
    return total / elapsed


async def commit_per_entry(total: int) -> float:
    directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
    db = await aiosqlite.connect(directory / "raw.db", isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute(
        "CREATE TABLE entries (message_id TEXT PRIMARY KEY, envelope TEXT, state TEXT,"
        " attempts INT, outcome TEXT) WITHOUT ROWID"
    )
    envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(total)]
    started = time.perf_counter()
    for envelope in envelopes:
        mid = str(envelope.message_id)
        await db.execute("BEGIN")
        await db.execute(
            "INSERT INTO entries VALUES (?, ?, 'received', 1, NULL)",
            (mid, envelope.model_dump_json()),
        )
        await db.execute("COMMIT")
        await db.execute("BEGIN")
        await db.execute(
            "UPDATE entries SET state = 'completed', outcome = '[]' WHERE message_id = ?", (mid,)
        )
        await db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    await db.close()
    return total / elapsed


# --- sync ------------------------------------------------------------------------------


async def sync_rows(url: str, rows: int, batch: int = 1000) -> tuple[float, float]:
    async with fresh_database(url, "eco2_bench", [("journal", "journal.postgres")]) as database:
        directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
        journal = await Journal.open(directory / "bench.journal", worker="bench")
        envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(rows)]
        for start in range(0, rows, 1000):
            chunk = envelopes[start : start + 1000]
            await asyncio.gather(*(journal.begin(e) for e in chunk))
            await asyncio.gather(*(journal.complete(str(e.message_id), [{"n": 1}]) for e in chunk))
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        entries = await journal.unsynced(rows)
        await pool.execute("CREATE TABLE raw (LIKE journal.outcomes INCLUDING ALL)")
        records = [
            (
                uuid.UUID(e.message_id),
                "bench",
                e.type,
                e.version,
                e.state,
                e.attempts,
                e.envelope,
                e.outcome,
                e.error,
                _dt(e.created_at),
                _dt(e.completed_at),
                _dt(time.time()),
            )
            for e in entries
        ]
        started = time.perf_counter()
        for start in range(0, rows, batch):
            await pool.copy_records_to_table("raw", records=records[start : start + batch])
        copy_rate = rows / (time.perf_counter() - started)

        loop = SyncLoop(journal, PostgresTarget(pool), worker="bench", batch_size=batch)
        started = time.perf_counter()
        shipped = await loop.drain()
        sync_rate = shipped / (time.perf_counter() - started)
        assert shipped == rows
        await pool.close()
        await journal.close()
        return sync_rate, copy_rate


def _dt(seconds: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=["worker", "commit", "sync"])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=RABBIT_URL)
    parser.add_argument("--database", default=POSTGRES_URL)
    args = parser.parse_args()
    if "worker" in args.which:
        await raw_worker(args.url, 200)
        await journaled_worker(args.url, 200)
        ratios = []
        for _ in range(args.rounds):
            raw = await raw_worker(args.url, args.tasks)
            ours = await journaled_worker(args.url, args.tasks)
            ratios.append(ours / raw)
            print(
                f"journaled worker : {ours:8.0f} tasks/s | plain aio-pika {raw:8.0f} tasks/s"
                f" | ratio {ours / raw:.2f}"
            )
        print(f"worker median ratio: {statistics.median(ratios):.2f} (target >= 0.5)")
    if "commit" in args.which:
        grouped = await group_commit(args.tasks, 256)
        single = await commit_per_entry(args.tasks)
        print(
            f"begin+complete   : {grouped:8.0f} /s group commit | {single:8.0f} /s commit per"
            f" entry | ratio {grouped / single:.1f}x"
        )
    if "sync" in args.which:
        ratios = []
        for _ in range(args.rounds):
            sync_rate, copy_rate = await sync_rows(args.database, args.rows)
            ratios.append(sync_rate / copy_rate)
            print(
                f"sync to postgres : {sync_rate:8.0f} rows/s | plain COPY {copy_rate:8.0f}"
                f" rows/s | ratio {sync_rate / copy_rate:.2f}"
            )
        print(f"sync median ratio: {statistics.median(ratios):.2f} (target >= 0.8)")


if __name__ == "__main__":
    asyncio.run(main())
