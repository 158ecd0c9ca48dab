"""Stop requests seen by this AI worker process, by reply id.

Every AI worker process receives every `chat.stop_requested` (an ephemeral group of its
own), so whichever is writing the answer stops it within a batch. A stop that arrives
before its answer started is kept a while, so the answer stops as soon as it starts.
"""

from __future__ import annotations

import asyncio
import time

from bus.ports import Message, Subscription
from contracts.chat.v1 import StopRequested

KEEP = 600.0  # seconds a stop is remembered for an answer not seen yet


class Stops:
    def __init__(self, keep: float = KEEP) -> None:
        self._keep = keep
        self._events: dict[str, tuple[asyncio.Event, float]] = {}

    def event(self, reply_id: str) -> asyncio.Event:
        """The event set once `reply_id` is asked to stop."""
        self._forget_old()
        found = self._events.get(reply_id)
        if found is None:
            found = (asyncio.Event(), time.monotonic())
            self._events[reply_id] = found
        return found[0]

    def stop(self, reply_id: str) -> None:
        self.event(reply_id).set()

    def done(self, reply_id: str) -> None:
        self._events.pop(reply_id, None)

    def _forget_old(self) -> None:
        horizon = time.monotonic() - self._keep
        for reply_id in [r for r, (_, at) in self._events.items() if at < horizon]:
            del self._events[reply_id]


def subscription(instance_id: str, stops: Stops) -> Subscription:
    async def stopped(message: Message[StopRequested]) -> None:
        stops.stop(message.payload.reply_id)

    return Subscription(
        group=f"ai.stops.{instance_id}",
        bindings=[StopRequested.__message_type__],
        handler=stopped,
        ephemeral=True,
    )
