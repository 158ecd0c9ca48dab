"""A domain service on a MemoryBus, asked and told the way its clients ask and tell it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bus.memory import MemoryBus
from bus.ports import Message, RemoteError, Subscription
from contracts import Envelope, Payload, new_envelope


@dataclass
class BusHarness:
    bus: MemoryBus

    async def ask(self, payload: Payload, envelope: Envelope | None = None) -> Any:
        """The reply's payload to `payload` (sent as `envelope`, when given)."""
        reply = await self.bus.request(envelope or new_envelope(payload), timeout=10)
        return reply.payload

    async def error(self, payload: Payload) -> RemoteError:
        """The error the service answers `payload` with (it must answer one)."""
        with pytest.raises(RemoteError) as info:
            await self.ask(payload)
        return info.value

    async def fails(self, payload: Payload) -> str:
        """The code of the error the service answers `payload` with."""
        return (await self.error(payload)).code


@dataclass
class CountingHarness(BusHarness):
    """Counts each message's handlings by the subscriptions `subscribe`d through it."""

    handled: Counter[uuid.UUID] = field(default_factory=Counter, kw_only=True)

    def subscribe(self, subscription: Subscription) -> None:
        handler = subscription.handler

        async def counted(message: Message[Any]) -> Payload | None:
            try:
                return await handler(message)
            finally:
                self.handled[message.envelope.message_id] += 1

        self.bus.subscribe(replace(subscription, handler=counted))

    async def deliver(self, envelope: Envelope, times: int = 1) -> None:
        """Publish `envelope` `times` times at once; return when each copy was handled."""
        before = self.handled[envelope.message_id]
        await asyncio.gather(*(self.bus.publish(envelope) for _ in range(times)))
        deadline = time.monotonic() + 5
        while self.handled[envelope.message_id] < before + times:
            assert time.monotonic() < deadline, f"{envelope.type} was not handled in time"
            await asyncio.sleep(0.01)
