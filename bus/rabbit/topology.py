"""Every exchange, queue and binding the bus uses, declared here and nowhere else.

- `eco2.events` (topic): every message, routing key = message type.
- `eco2.<group>` (quorum): a consumer group's queue; a delivery limit as a backstop for
  crash loops, dead-lettering at-least-once to `eco2.dlx` with routing key = the queue.
- `eco2.<group>.retry.<ms>` (quorum): delayed retries; messages expire after <ms> and are
  dead-lettered back to `eco2.<group>` through the default exchange.
- `eco2.dlx` (direct) -> `eco2.<group>.dead` (quorum): dead letters, with the reason in
  `x-eco2-dead-reason` (ours) or `x-death` (the broker's) and the original routing key.
- `eco2.rpc` (topic) -> `eco2.<group>.rpc` (classic, transient messages): requests,
  routing key = message type, bound with the group's patterns. A request is answered
  within its timeout or not at all (ADR 0008): it expires in the queue after the
  caller's timeout, is consumed without acknowledgement, and its reply goes, transient,
  to the caller's private reply queue.
- `eco2.reply.<hex>` (classic, exclusive, auto-delete): one bus process's replies.
- `eco2.<group>` of a single-active group also has `x-single-active-consumer`.
- `eco2.<group>` of an ephemeral group (classic, exclusive, auto-delete): one process's
  own queue, gone with its connection; no retry, dead-letter or request queues.
- A single-active group has no request queue either (its order is one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aio_pika.abc import AbstractChannel, AbstractQueue
from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from bus.ports import DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, REQUESTS_EXCHANGE

EVENTS = RabbitExchange(EVENTS_EXCHANGE, type=ExchangeType.TOPIC, durable=True)
DLX = RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT, durable=True)
REQUESTS = RabbitExchange(REQUESTS_EXCHANGE, type=ExchangeType.TOPIC, durable=True)

# At-least-once dead-lettering needs the source queue to refuse publishes when full.
_SAFE_DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def _quorum_args(arguments: dict[str, object]) -> QuorumQueueArgs:
    return cast("QuorumQueueArgs", arguments)


@dataclass(frozen=True)
class GroupTopology:
    group: str
    bindings: tuple[str, ...]
    delays: tuple[float, ...]
    delivery_limit: int
    ephemeral: bool = False
    single_active: bool = False

    @property
    def queue_name(self) -> str:
        return f"eco2.{self.group}"

    @property
    def dead_name(self) -> str:
        return f"eco2.{self.group}.dead"

    @property
    def requests_name(self) -> str:
        return f"eco2.{self.group}.rpc"

    def retry_name(self, delay: float) -> str:
        return f"eco2.{self.group}.retry.{round(delay * 1000)}"

    def queue(self) -> RabbitQueue:
        if self.ephemeral:
            return RabbitQueue(self.queue_name, durable=False, exclusive=True, auto_delete=True)
        return RabbitQueue(
            self.queue_name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=_quorum_args(
                {
                    "x-delivery-limit": self.delivery_limit,
                    "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                    "x-dead-letter-routing-key": self.queue_name,
                    **_SAFE_DEAD_LETTERING,
                    **({"x-single-active-consumer": True} if self.single_active else {}),
                }
            ),
        )

    def requests_queue(self) -> RabbitQueue:
        return RabbitQueue(self.requests_name, durable=True)

    def dead_queue(self) -> RabbitQueue:
        return RabbitQueue(self.dead_name, queue_type=QueueType.QUORUM, durable=True)

    def retry_queue(self, delay: float) -> RabbitQueue:
        return RabbitQueue(
            self.retry_name(delay),
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=_quorum_args(
                {
                    "x-message-ttl": round(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue_name,
                    **_SAFE_DEAD_LETTERING,
                }
            ),
        )


def queue_names(group: str, delays: tuple[float, ...]) -> list[str]:
    """Every queue a group owns: its own, its requests, its dead letters, its retry tiers."""
    topology = GroupTopology(group, (), delays, 0)
    names = [topology.queue_name, topology.requests_name, topology.dead_name]
    return names + list(map(topology.retry_name, delays))


async def delete_group(channel: AbstractChannel, group: str, delays: tuple[float, ...]) -> None:
    """Remove a group's queues (tests, benchmarks, decommissioning a consumer group)."""
    for name in queue_names(group, delays):
        await channel.queue_delete(name)


async def declare_exchanges(broker: RabbitBroker) -> None:
    await broker.declare_exchange(EVENTS)
    await broker.declare_exchange(DLX)
    await broker.declare_exchange(REQUESTS)


async def declare_group(broker: RabbitBroker, topology: GroupTopology) -> None:
    """Declare (idempotently) the group's retry queues and dead-letter queue.

    The group's own queue is declared by its FastStream subscriber, on the channel that
    carries the group's prefetch; `bind_group` binds it once the subscriber has started.
    An ephemeral group has neither.
    """
    if topology.ephemeral:
        return
    dlx = await broker.declare_exchange(DLX)
    dead = await broker.declare_queue(topology.dead_queue())
    await dead.bind(dlx, routing_key=topology.queue_name)
    for delay in topology.delays:
        await broker.declare_queue(topology.retry_queue(delay))


async def bind_group(broker: RabbitBroker, topology: GroupTopology) -> AbstractQueue:
    """Bind the group's queue (declared by its subscriber) to its patterns; return it."""
    events = await broker.declare_exchange(EVENTS)
    queue = await broker.declare_queue(topology.queue())
    for pattern in topology.bindings:
        await queue.bind(events, routing_key=pattern)
    return queue


async def bind_requests(broker: RabbitBroker, topology: GroupTopology) -> AbstractQueue | None:
    """Declare and bind the group's request queue.

    An ephemeral group has none, and neither has a single-active group: requests taken
    without ack by every instance would break its one-at-a-time order.
    """
    if topology.ephemeral or topology.single_active:
        return None
    requests = await broker.declare_exchange(REQUESTS)
    queue = await broker.declare_queue(topology.requests_queue())
    for pattern in topology.bindings:
        await queue.bind(requests, routing_key=pattern)
    return queue
