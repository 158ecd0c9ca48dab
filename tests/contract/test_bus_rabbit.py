"""The bus contract suite against real RabbitMQ, each test on its own consumer groups."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest

from bus.policy import RetryPolicy
from bus.ports import Bus
from bus.rabbit import RabbitBus
from bus.rabbit.topology import delete_group
from tests.contract import bus_suite
from tests.contract.bus_suite import FAST, BusContract, Dead
from tests.contract.messages import registry

pytestmark = pytest.mark.rabbit


class RabbitHarness:
    def __init__(self, url: str, channel: aio_pika.abc.AbstractChannel) -> None:
        self.url = url
        self.channel = channel
        self.registry = registry()
        self.prefix = f"t{uuid.uuid4().hex[:8]}"
        self.groups: list[str] = []

    def group(self, name: str) -> str:
        group = f"{self.prefix}.{name}"
        self.groups.append(group)
        return group

    def bus(self, *, policy: RetryPolicy = FAST, prefetch: int = 8, grace: float = 5.0) -> Bus:
        return RabbitBus(self.url, self.registry, policy=policy, prefetch=prefetch, grace=grace)

    async def publish_raw(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> None:
        exchange = await self.channel.get_exchange("eco2.events")
        await exchange.publish(
            aio_pika.Message(body, headers=headers, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )

    async def dead_letters(self, group: str, expect: int) -> list[Dead]:
        queue = await self.channel.get_queue(f"eco2.{group}.dead")
        found: list[Dead] = []
        async with asyncio.timeout(15):
            while len(found) < expect:
                message = await queue.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.05)
                    continue
                found.append(
                    bus_suite.dead_from_headers(
                        dict(message.headers), message.routing_key or "", message.body
                    )
                )
        return found

    async def kill(self, bus: Bus) -> None:
        assert isinstance(bus, RabbitBus)
        await bus.kill()

    async def cleanup(self) -> None:
        for group in self.groups:
            await delete_group(self.channel, group, FAST.tiers())


class TestRabbitBus(BusContract):
    @pytest.fixture
    async def harness(self, rabbit_url: str) -> AsyncIterator[RabbitHarness]:
        connection = await aio_pika.connect(rabbit_url)
        async with connection:
            harness = RabbitHarness(rabbit_url, await connection.channel())
            yield harness
            await harness.cleanup()
