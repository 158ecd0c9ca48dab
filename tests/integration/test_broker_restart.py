"""The RabbitMQ transport rides out a broker restart: it reconnects, re-declares its
topology, and every confirmed message is delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from contracts import new_envelope
from support.rabbit import rabbitmqctl, require_rabbitmqctl, temporary_group
from tests.contract.messages import Note, registry

pytestmark = [pytest.mark.rabbit, pytest.mark.slow]


@pytest.fixture
def restartable() -> None:
    require_rabbitmqctl("restart the broker")


@pytest.fixture
async def group(rabbit_url: str) -> AsyncIterator[str]:
    async with temporary_group(rabbit_url, "restart") as name:
        yield name


async def test_confirmed_messages_survive_a_broker_restart(
    restartable: None, rabbit_url: str, group: str
) -> None:
    seen: set[str] = set()

    async def record(message: Message[Any]) -> None:
        seen.add(message.payload.text)

    consumer = RabbitBus(rabbit_url, registry())
    consumer.subscribe(Subscription(group, ["testbus.note"], record))
    publisher = RabbitBus(rabbit_url, registry(), publish_timeout=60)
    await consumer.start()
    await publisher.start()
    try:
        before = [f"before{i}" for i in range(20)]
        for text in before:
            await publisher.publish(new_envelope(Note(text=text)))
        await rabbitmqctl("stop_app")
        # Published while the broker is down: publish waits for the reconnect, then confirms.
        pending = asyncio.gather(
            *(publisher.publish(new_envelope(Note(text=f"during{i}"))) for i in range(10))
        )
        await asyncio.sleep(1.0)
        await rabbitmqctl("start_app")
        await asyncio.wait_for(pending, 60)
        after = [f"after{i}" for i in range(20)]
        for text in after:
            await publisher.publish(new_envelope(Note(text=text)))
        expected = set(before) | {f"during{i}" for i in range(10)} | set(after)
        async with asyncio.timeout(60):
            while not expected <= seen:
                await asyncio.sleep(0.1)
        assert await consumer.ping()
    finally:
        await publisher.close()
        await consumer.close()
