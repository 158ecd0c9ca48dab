"""A consumer group that serves a table of message types: the shape of every domain service.

Each domain keeps `handlers.py` with a `table(deps) -> {type: handler}` and turns it into
its subscription here. The domain's own errors carry a stable `code` and a `message`;
raised from a handler, they become the requester's `error.reply` (or, for an event, a
dead letter with that code).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

from bus.ports import Message, RequestFailed, Subscription
from contracts import Payload

TableHandler = Callable[[Message[Any]], Awaitable[Payload | None]]


class CodedError(Protocol):
    code: str
    message: str


def table_subscription(
    group: str,
    handlers: Mapping[str, TableHandler],
    *,
    answers: type[Exception] | tuple[type[Exception], ...] = (),
) -> Subscription:
    """Subscribe `group` to every type in `handlers`; `answers` are the domain's errors."""

    async def handle(message: Message[Any]) -> Payload | None:
        handler = handlers[message.envelope.type]
        try:
            return await handler(message)
        except answers as exc:
            coded = cast(CodedError, exc)
            raise RequestFailed(coded.code, coded.message) from None

    return Subscription(group, sorted(handlers), handle)
