"""Bus throughput: publish -> consume -> ack through the project's RabbitMQ transport,
against a plain aio-pika loop doing the same in the same run (persistent messages,
publisher confirms, prefetch 100). Prints both rates, the CPU time this process spends per
message on each path, and the rate ratio (target >= 0.5).

    python -m bench.bus [--messages N] [--window W] [--rounds R] [--url amqp://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Coroutine
from typing import Any, ClassVar

import aio_pika

from bus.policy import RetryPolicy
from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from bus.rabbit.topology import delete_group
from contracts import Payload, new_envelope
from contracts.catalog import build_registry
from support.env import RABBIT_URL

PREFETCH = 100


class Tick(Payload):
    __message_type__: ClassVar[str] = "bench.tick"
    __version__: ClassVar[int] = 1

    n: int
    text: str


async def _windowed(total: int, window: int, send: Any) -> None:
    for start in range(0, total, window):
        await asyncio.gather(*(send(i) for i in range(start, min(start + window, total))))


async def raw_aio_pika(url: str, total: int, window: int) -> float:
    queue_name = f"bench.raw.{uuid.uuid4().hex[:8]}"
    consumer_conn = await aio_pika.connect(url)
    producer_conn = await aio_pika.connect(url)
    async with consumer_conn, producer_conn:
        consumer = await consumer_conn.channel()
        await consumer.set_qos(prefetch_count=PREFETCH)
        queue = await consumer.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        producer = await producer_conn.channel(publisher_confirms=True)
        done = asyncio.Event()
        seen = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            Tick.model_validate_json(message.body)  # the same minimum of work: parse the body
            await message.ack()
            seen += 1
            if seen == total:
                done.set()

        tag = await queue.consume(on_message)
        text = "x" * 64

        async def send(i: int) -> None:
            # Serialize each message, as any real publisher has to.
            await producer.default_exchange.publish(
                aio_pika.Message(
                    json.dumps({"n": i, "text": text}).encode(),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=str(uuid.uuid4()),
                    content_type="application/json",
                ),
                routing_key=queue_name,
            )

        started = time.perf_counter()
        await _windowed(total, window, send)
        await done.wait()
        elapsed = time.perf_counter() - started
        await queue.cancel(tag)
        await consumer.queue_delete(queue_name)
    return total / elapsed


async def project_bus(url: str, total: int, window: int) -> float:
    registry = build_registry().register(Tick).validate()
    group = f"bench.{uuid.uuid4().hex[:8]}"
    done = asyncio.Event()
    seen = 0

    async def on_tick(message: Message[Any]) -> None:
        nonlocal seen
        seen += 1
        if seen == total:
            done.set()

    consumer = RabbitBus(url, registry, prefetch=PREFETCH, policy=RetryPolicy())
    consumer.subscribe(Subscription(group, ["bench.tick"], on_tick))
    producer = RabbitBus(url, registry)
    await consumer.start()
    await producer.start()
    try:
        text = "x" * 64

        async def send(i: int) -> None:
            await producer.publish(new_envelope(Tick(n=i, text=text)))

        started = time.perf_counter()
        await _windowed(total, window, send)
        await done.wait()
        elapsed = time.perf_counter() - started
    finally:
        await producer.close()
        await consumer.close()
        connection = await aio_pika.connect(url)
        async with connection:
            await delete_group(await connection.channel(), group, RetryPolicy().tiers())
    return total / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--window", type=int, default=100, help="publishes in flight")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--url", default=RABBIT_URL)
    args = parser.parse_args()
    # Warm both paths once so connection set-up and imports are not measured.
    await raw_aio_pika(args.url, 200, args.window)
    await project_bus(args.url, 200, args.window)
    print(f"messages: {args.messages}, publishes in flight: {args.window}, prefetch: {PREFETCH}")
    ratios, cpu_ratios = [], []
    for round_ in range(1, args.rounds + 1):
        raw, raw_cpu = await _timed(raw_aio_pika(args.url, args.messages, args.window))
        ours, our_cpu = await _timed(project_bus(args.url, args.messages, args.window))
        ratios.append(ours / raw)
        cpu_ratios.append(our_cpu / raw_cpu)
        per = 1e6 / args.messages
        print(
            f"round {round_}: plain aio-pika {raw:7.0f} msg/s {raw_cpu * per:5.0f} µs CPU/msg"
            f" | eco2 rabbit bus {ours:7.0f} msg/s {our_cpu * per:5.0f} µs CPU/msg"
            f" | ratio {ours / raw:.2f}"
        )
    print(
        f"median ratio: {statistics.median(ratios):.2f}  (target >= 0.5);"
        f" CPU per message, eco2 / plain: {statistics.median(cpu_ratios):.2f}"
    )


async def _timed(run: Coroutine[Any, Any, float]) -> tuple[float, float]:
    """The rate `run` returns, and the CPU seconds this process spent running it."""
    before = time.process_time()
    rate = await run
    return rate, time.process_time() - before


if __name__ == "__main__":
    asyncio.run(main())
