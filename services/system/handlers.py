"""Bus handlers of the `system` service and their registry table."""

from __future__ import annotations

import os
import socket
from typing import Any

from bus.ports import Message, Subscription
from contracts.system.v1 import Ping, Pong

GROUP = "system"


async def on_ping(message: Message[Ping], *, instance: str) -> Pong:
    return Pong(
        ping_id=str(message.envelope.message_id), note=message.payload.note, handled_by=instance
    )


def subscriptions(instance: str | None = None) -> list[Subscription]:
    name = instance or f"{socket.gethostname()}:{os.getpid()}"

    async def ping(message: Message[Any]) -> Pong:
        return await on_ping(message, instance=name)

    return [Subscription(GROUP, ["system.ping"], ping)]
