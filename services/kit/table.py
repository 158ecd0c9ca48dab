"""A consumer group that serves a table of message types: the shape of every domain service.

Each domain keeps `handlers.py` with a `table(deps) -> {type: handler}` and turns it into
its subscription here. A `DomainError` raised from a handler becomes the bus's
`RequestFailed`: the requester's `error.reply` with its code, or, for an event (whose
sender waits for no answer), a dead letter with that code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.ports import Handler, Message, RequestFailed, Subscription
from contracts import Payload
from services.kit.errors import DomainError


def table_subscription(group: str, handlers: Mapping[str, Handler]) -> Subscription:
    """Subscribe `group` to every message type in `handlers`."""

    async def handle(message: Message[Any]) -> Payload | None:
        handler = handlers[message.envelope.type]
        try:
            return await handler(message)
        except DomainError as exc:
            raise RequestFailed(exc.code, exc.message) from None

    return Subscription(group, sorted(handlers), handle)
