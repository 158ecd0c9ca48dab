"""A journaled worker through RabbitMQ against a plain aio-pika consume -> publish -> ack."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika

from bench.bus import Tick
from bus.policy import RetryPolicy
from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from bus.rabbit.topology import delete_group
from contracts import Payload, new_envelope
from contracts.catalog import build_registry
from journal.sqlite.store import Journal
from journal.sqlite.worker import JournaledWorker, Steps

PREFETCH = 100


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
