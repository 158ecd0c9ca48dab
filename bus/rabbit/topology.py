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

from dataclasses import dataclass, field
from typing import Any

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from bus.ports import DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, REQUESTS_EXCHANGE


@dataclass(frozen=True)
class Exchange:
    """A durable exchange of ours."""

    name: str
    type: ExchangeType

    async def declare(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(self.name, self.type, durable=True)


@dataclass(frozen=True)
class Queue:
    """A queue of ours; its type (`quorum` or `classic`) is always named in its arguments."""

    name: str
    quorum: bool = False
    durable: bool = True
    exclusive: bool = False
    auto_delete: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)

    async def declare(self, channel: AbstractChannel) -> AbstractQueue:
        return await channel.declare_queue(
            self.name,
            durable=self.durable,
            exclusive=self.exclusive,
            auto_delete=self.auto_delete,
            arguments={"x-queue-type": "quorum" if self.quorum else "classic", **self.arguments},
        )


EVENTS = Exchange(EVENTS_EXCHANGE, ExchangeType.TOPIC)
DLX = Exchange(DEAD_LETTER_EXCHANGE, ExchangeType.DIRECT)
REQUESTS = Exchange(REQUESTS_EXCHANGE, ExchangeType.TOPIC)
EXCHANGES = (EVENTS, DLX, REQUESTS)

# At-least-once dead-lettering needs the source queue to refuse publishes when full.
_SAFE_DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


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

    def queue(self) -> Queue:
        if self.ephemeral:
            return Queue(self.queue_name, durable=False, exclusive=True, auto_delete=True)
        return Queue(
            self.queue_name,
            quorum=True,
            arguments={
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                "x-dead-letter-routing-key": self.queue_name,
                **_SAFE_DEAD_LETTERING,
                **({"x-single-active-consumer": True} if self.single_active else {}),
            },
        )

    def requests_queue(self) -> Queue:
        return Queue(self.requests_name)

    def dead_queue(self) -> Queue:
        return Queue(self.dead_name, quorum=True)

    def retry_queue(self, delay: float) -> Queue:
        return Queue(
            self.retry_name(delay),
            quorum=True,
            arguments={
                "x-message-ttl": round(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue_name,
                **_SAFE_DEAD_LETTERING,
            },
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


async def declare_exchanges(channel: AbstractChannel) -> dict[str, AbstractExchange]:
    """Declare every exchange; the declared objects by name, `""` the default exchange."""
    declared = {exchange.name: await exchange.declare(channel) for exchange in EXCHANGES}
    return {"": channel.default_exchange, **declared}


async def declare_group(
    channel: AbstractChannel, topology: GroupTopology
) -> tuple[AbstractQueue, AbstractQueue | None]:
    """Declare (idempotently) and bind everything of a group; its queue and request queue.

    Both are declared on `channel`, the group's own, which carries its prefetch and which,
    robust, declares them again after a reconnect. An ephemeral group has only its queue.
    A single-active group has no request queue: requests taken without ack by every
    instance would break its one-at-a-time order.
    """
    events = await EVENTS.declare(channel)
    queue = await topology.queue().declare(channel)
    for pattern in topology.bindings:
        await queue.bind(events, routing_key=pattern)
    if topology.ephemeral:
        return queue, None
    dlx = await DLX.declare(channel)
    dead = await topology.dead_queue().declare(channel)
    await dead.bind(dlx, routing_key=topology.queue_name)
    for delay in topology.delays:
        await topology.retry_queue(delay).declare(channel)
    if topology.single_active:
        return queue, None
    requests_exchange = await REQUESTS.declare(channel)
    requests = await topology.requests_queue().declare(channel)
    for pattern in topology.bindings:
        await requests.bind(requests_exchange, routing_key=pattern)
    return queue, requests
