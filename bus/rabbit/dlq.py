"""Operating on a group's dead-letter queue: list, show, requeue to the original route, purge.

Listing browses without consuming: messages are taken unacknowledged and returned when the
channel closes. Requeue publishes a copy to the original exchange and routing key (attempt
counter reset, requeue counter raised), waits for the confirm, then removes the dead letter;
a message requeued `max_requeues` times is refused unless forced, so a poison message cannot
loop forever between the queue and the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from bus import codec
from bus.ports import BusError

H_REQUEUES = "x-eco2-requeues"


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    type: str
    reason: str
    detail: str
    group: str
    exchange: str
    routing_key: str
    requeues: int
    headers: dict[str, Any]
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = self.body.decode("utf-8", errors="replace")
        return {
            "message_id": self.message_id,
            "type": self.type,
            "reason": self.reason,
            "detail": self.detail,
            "group": self.group,
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "requeues": self.requeues,
            "body": body,
        }


def _dead_letter(message: AbstractIncomingMessage, group: str) -> DeadLetter:
    headers = dict(message.headers or {})
    reason = headers.get(codec.H_DEAD_REASON)
    exchange = headers.get(codec.H_ORIGINAL_EXCHANGE)
    routing_key = headers.get(codec.H_ORIGINAL_ROUTING_KEY)
    if reason is None:  # dead-lettered by the broker itself (its delivery limit)
        deaths = headers.get("x-death") or [{}]
        first: Any = deaths[0] if isinstance(deaths, list) and deaths else {}
        reason = str(first.get("reason", "broker"))
        keys = first.get("routing-keys") or [message.routing_key or ""]
        routing_key = routing_key or str(keys[0])
        exchange = exchange or str(first.get("exchange", ""))
    return DeadLetter(
        message_id=message.message_id or "",
        type=message.type or "",
        reason=str(reason),
        detail=str(headers.get(codec.H_DEAD_DETAIL, "")),
        group=group,
        exchange=str(exchange or "eco2.events"),
        routing_key=str(routing_key or message.routing_key or ""),
        requeues=_count(headers.get(H_REQUEUES)),
        headers=headers,
        body=message.body,
    )


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


class DeadLetters:
    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, group: str) -> None:
        self._channel = channel
        self._queue = queue
        self.group = group

    async def count(self) -> int:
        declared = await self._channel.declare_queue(self._queue.name, passive=True)
        return int(declared.declaration_result.message_count or 0)

    async def browse(self, limit: int | None = None) -> list[DeadLetter]:
        """Up to `limit` dead letters, oldest first, left in the queue."""
        taken: list[AbstractIncomingMessage] = []
        try:
            while limit is None or len(taken) < limit:
                message = await self._queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                taken.append(message)
            return [_dead_letter(m, self.group) for m in taken]
        finally:
            for message in taken:
                await message.nack(requeue=True)

    async def requeue(
        self,
        select: Callable[[DeadLetter], bool],
        *,
        max_requeues: int = 3,
        force: bool = False,
        dry_run: bool = False,
        progress: Callable[[DeadLetter, str], None] | None = None,
    ) -> tuple[int, int]:
        """Requeue the selected dead letters; return (requeued, refused by the loop guard)."""
        requeued = refused = 0
        kept: list[AbstractIncomingMessage] = []
        try:
            for _ in range(await self.count()):
                message = await self._queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                letter = _dead_letter(message, self.group)
                if not select(letter):
                    kept.append(message)
                    continue
                if letter.requeues >= max_requeues and not force:
                    refused += 1
                    kept.append(message)
                    if progress:
                        progress(letter, "refused: requeued too often (use --force)")
                    continue
                if dry_run:
                    kept.append(message)
                else:
                    await self._republish(letter)
                    await message.ack()
                requeued += 1
                if progress:
                    progress(letter, "would requeue" if dry_run else "requeued")
        finally:
            for message in kept:
                await message.nack(requeue=True)
        return requeued, refused

    async def _republish(self, letter: DeadLetter) -> None:
        headers = {
            k: v
            for k, v in letter.headers.items()
            if not k.startswith("x-death")
            and not k.startswith("x-first-death")
            and not k.startswith("x-last-death")
            and k != "x-delivery-count"
            and not k.startswith("x-eco2-dead")
            and not k.startswith("x-eco2-original")
            and k != codec.H_GROUP
        }
        headers[codec.H_ATTEMPT] = 1
        headers[H_REQUEUES] = letter.requeues + 1
        exchange = (
            await self._channel.get_exchange(letter.exchange)
            if letter.exchange
            else (self._channel.default_exchange)
        )
        await exchange.publish(
            aio_pika.Message(
                letter.body,
                headers=headers,
                message_id=letter.message_id or None,
                type=letter.type or None,
                content_type=codec.CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=letter.routing_key,
        )

    async def purge(self) -> int:
        result = await self._queue.purge()
        return int(result.message_count or 0)


@asynccontextmanager
async def dead_letters(url: str, group: str) -> AsyncIterator[DeadLetters]:
    """Open the dead-letter queue of `group` (it must exist)."""
    try:
        connection = await aio_pika.connect(url)
    except (OSError, aio_pika.exceptions.AMQPError) as exc:
        raise BusError(f"cannot reach RabbitMQ: {exc}") from exc
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        try:
            queue = await channel.declare_queue(f"eco2.{group}.dead", passive=True)
        except aio_pika.exceptions.ChannelClosed:
            raise BusError(f"no dead-letter queue for group {group!r}") from None
        yield DeadLetters(channel, queue, group)
