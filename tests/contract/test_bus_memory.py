"""The bus contract suite against the in-memory transport."""

from __future__ import annotations

from typing import Any

import pytest

from bus.memory import MemoryBroker, MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Bus
from tests.contract import bus_suite
from tests.contract.bus_suite import FAST, BusContract, Dead
from tests.contract.messages import registry


class MemoryHarness:
    def __init__(self) -> None:
        self.broker = MemoryBroker(delivery_limit=20)
        self.registry = registry()

    def group(self, name: str) -> str:
        return name

    def bus(self, *, policy: RetryPolicy = FAST, prefetch: int = 8, grace: float = 5.0) -> Bus:
        return MemoryBus(
            self.registry, broker=self.broker, policy=policy, prefetch=prefetch, grace=grace
        )

    async def publish_raw(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> None:
        MemoryBus(self.registry, broker=self.broker).publish_raw(routing_key, body, headers)

    async def dead_letters(self, group: str, expect: int) -> list[Dead]:
        await bus_suite.eventually(lambda: len(self.broker.dead[group]) >= expect)
        return [
            bus_suite.dead_from_headers(d.delivery.headers, d.delivery.routing_key, d.delivery.body)
            for d in self.broker.dead[group]
        ]

    async def kill(self, bus: Bus) -> None:
        assert isinstance(bus, MemoryBus)
        await bus.kill()


class TestMemoryBus(BusContract):
    @pytest.fixture
    def harness(self) -> MemoryHarness:
        return MemoryHarness()
