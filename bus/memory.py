"""The in-process transport: the same routing, redelivery and dead-lettering as RabbitMQ.

A `MemoryBroker` plays the server (queues, bindings, dead letters) and may be shared by
several `MemoryBus` clients, which then compete for the messages of a shared group like
separate processes would. A handler task that dies (is cancelled) while holding a message
returns it to its queue, as the broker does for a dropped connection. Requests go to a
group's request lane, as on RabbitMQ (ADR 0008): taken without acknowledgement, dropped
once their timeout has passed, lost with a killed client.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bus import codec, telemetry
from bus.codec import Delivery
from bus.dispatch import Ack, DeadLetter, Dispatcher, Outcome, Reply, RetryLater
from bus.policy import RetryPolicy
from bus.ports import (
    EVENTS_EXCHANGE,
    BusError,
    Message,
    RemoteError,
    RequestTimeout,
    Subscription,
)
from bus.topics import matches
from contracts import Envelope, Registry
from contracts.errors.v1 import ErrorReply


@dataclass(frozen=True)
class DeadLettered:
    """A message in a group's dead-letter queue."""

    delivery: Delivery
    reason: str
    detail: str


@dataclass
class MemoryBroker:
    """The shared server state: one queue per group, bound by topic patterns."""

    delivery_limit: int = 20
    queues: dict[str, asyncio.Queue[Delivery]] = field(default_factory=dict)
    # A group's requests, each with the monotonic time after which nobody waits for it.
    requests: dict[str, asyncio.Queue[tuple[float, Delivery]]] = field(default_factory=dict)
    bindings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    dead: dict[str, list[DeadLettered]] = field(default_factory=lambda: defaultdict(list))
    # Groups whose consumers take turns: one delivery in hand across every client.
    turns: dict[str, asyncio.Lock] = field(default_factory=dict)
    _direct: dict[str, Callable[[Delivery], None]] = field(default_factory=dict)

    def declare(
        self, group: str, patterns: list[str] | tuple[str, ...], *, requests: bool = True
    ) -> None:
        """A group's queue and, unless it is ephemeral, its request lane."""
        self.queues.setdefault(group, asyncio.Queue())
        if requests:
            self.requests.setdefault(group, asyncio.Queue())
        self.bindings[group].update(patterns)

    def forget(self, group: str) -> None:
        """Delete a group's queue and bindings (an ephemeral group whose process left)."""
        self.queues.pop(group, None)
        self.requests.pop(group, None)
        self.bindings.pop(group, None)

    def route(self, routing_key: str, delivery: Delivery) -> int:
        """Put a copy in every group whose bindings match; return how many."""
        routed = 0
        for group, patterns in self.bindings.items():
            if any(matches(p, routing_key) for p in patterns):
                self.queues[group].put_nowait(delivery)
                routed += 1
        return routed

    def route_request(self, routing_key: str, delivery: Delivery, expires: float) -> int:
        """Put a copy in the request lane of every group whose bindings match."""
        routed = 0
        for group, lane in self.requests.items():
            if any(matches(p, routing_key) for p in self.bindings[group]):
                lane.put_nowait((expires, delivery))
                routed += 1
        return routed

    def requeue(self, group: str, delivery: Delivery) -> None:
        """Return an unacknowledged message, counting the redelivery; past the limit dead-letter."""
        again = replace(delivery, redeliveries=delivery.redeliveries + 1)
        if again.redeliveries >= self.delivery_limit:
            self.dead_letter(group, again, "delivery_limit", "redelivered too often")
        else:
            self.queues[group].put_nowait(again)

    def dead_letter(self, group: str, delivery: Delivery, reason: str, detail: str) -> None:
        headers = {
            **delivery.headers,
            codec.H_DEAD_REASON: reason,
            codec.H_DEAD_DETAIL: detail,
            codec.H_ORIGINAL_EXCHANGE: EVENTS_EXCHANGE,
            codec.H_ORIGINAL_ROUTING_KEY: delivery.routing_key,
            codec.H_GROUP: group,
        }
        self.dead[group].append(DeadLettered(replace(delivery, headers=headers), reason, detail))

    def listen(self, address: str, callback: Callable[[Delivery], None] | None) -> None:
        """Receive messages sent straight to `address` (reply queues); None stops."""
        if callback is None:
            self._direct.pop(address, None)
        else:
            self._direct[address] = callback

    def direct(self, address: str, delivery: Delivery) -> None:
        target = self._direct.get(address)
        if target is not None:
            target(delivery)


class MemoryBus:
    """A client of a `MemoryBroker`: publishes, requests and consumes its subscriptions."""

    def __init__(
        self,
        registry: Registry,
        *,
        broker: MemoryBroker | None = None,
        policy: RetryPolicy | None = None,
        prefetch: int = 16,
        request_timeout: float = 5.0,
        grace: float = 10.0,
    ) -> None:
        self.broker = broker or MemoryBroker()
        self._registry = registry
        self._policy = policy or RetryPolicy()
        self._prefetch = prefetch
        self._request_timeout = request_timeout
        self._grace = grace
        self._subscriptions: list[Subscription] = []
        self._ephemeral: set[str] = set()
        self._workers: dict[asyncio.Task[None], Delivery | None] = {}
        self._takers: list[asyncio.Task[None]] = []  # one per request lane
        self._answering: set[asyncio.Task[None]] = set()
        self._pending: dict[str, asyncio.Future[Delivery]] = {}
        self._reply_address = f"memory.reply.{uuid.uuid4()}"
        self._closing = False
        self._started = False

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise BusError("subscribe before start")
        self._subscriptions.append(subscription)

    async def start(self) -> None:
        self._started = True
        self.broker.listen(self._reply_address, self._on_reply)
        for sub in self._subscriptions:
            answers = not (sub.ephemeral or sub.single_active)  # as on RabbitMQ
            self.broker.declare(sub.group, tuple(sub.bindings), requests=answers)
            if sub.ephemeral:
                self._ephemeral.add(sub.group)
            if sub.single_active:
                self.broker.turns.setdefault(sub.group, asyncio.Lock())
            dispatcher = Dispatcher(sub.group, sub.handler, self._registry, self._policy)
            if answers:
                self._takers.append(asyncio.create_task(self._take_requests(sub.group, dispatcher)))
            for _ in range(sub.prefetch or self._prefetch):
                task = asyncio.create_task(self._consume(sub.group, dispatcher))
                self._workers[task] = None

    async def ping(self) -> bool:
        return self._started and not self._closing

    async def publish(self, envelope: Envelope) -> None:
        self._publish(envelope, codec.encode(telemetry.with_current_trace(envelope)))

    def publish_raw(self, routing_key: str, body: bytes, headers: dict[str, Any]) -> int:
        """Route bytes as an external AMQP program would; for tests and tools."""
        return self.broker.route(routing_key, Delivery(body, dict(headers), routing_key))

    def _publish(self, envelope: Envelope, out: codec.Outgoing) -> None:
        if self._closing:
            raise BusError("bus is closed")
        delivery = Delivery(out.body, out.headers, envelope.type, None, out.message_id)
        self.broker.route(envelope.type, delivery)
        telemetry.count_published(envelope.type)

    async def request(self, envelope: Envelope, *, timeout: float | None = None) -> Message[Any]:
        key = str(envelope.message_id)
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        timeout = timeout or self._request_timeout
        try:
            if self._closing:
                raise BusError("bus is closed")
            out = codec.encode(telemetry.with_current_trace(envelope))
            request = Delivery(
                out.body, out.headers, envelope.type, self._reply_address, out.message_id
            )
            self.broker.route_request(envelope.type, request, time.monotonic() + timeout)
            telemetry.count_published(envelope.type)
            try:
                delivery = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise RequestTimeout(f"no reply to {envelope.type} in time") from None
        finally:
            self._pending.pop(key, None)
        reply, payload = self._registry.parse(delivery.body)
        if isinstance(payload, ErrorReply):
            raise RemoteError(payload.code, payload.message)
        return Message(reply, payload, 1, delivery.routing_key)

    async def _take_requests(self, group: str, dispatcher: Dispatcher) -> None:
        lane = self.broker.requests[group]
        while True:
            expires, delivery = await lane.get()
            if time.monotonic() > expires:
                continue  # its caller gave up; RabbitMQ drops it by its expiration too
            task = asyncio.create_task(self._answer(group, dispatcher, delivery))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, group: str, dispatcher: Dispatcher, delivery: Delivery) -> None:
        self._settle(group, delivery, await dispatcher.handle(delivery))

    def _on_reply(self, delivery: Delivery) -> None:
        future = self._pending.get(delivery.message_id or "")
        if future is not None and not future.done():
            future.set_result(delivery)

    async def _consume(self, group: str, dispatcher: Dispatcher) -> None:
        queue = self.broker.queues[group]
        me = asyncio.current_task()
        assert me is not None
        turn = self.broker.turns.get(group)
        while not self._closing:
            if turn is None:
                await self._take_one(group, queue, dispatcher, me)
            else:
                async with turn:
                    await self._take_one(group, queue, dispatcher, me)

    async def _take_one(
        self,
        group: str,
        queue: asyncio.Queue[Delivery],
        dispatcher: Dispatcher,
        me: asyncio.Task[None],
    ) -> None:
        delivery = await queue.get()
        self._workers[me] = delivery
        try:
            outcome = await dispatcher.handle(delivery)
        except asyncio.CancelledError:
            self.broker.requeue(group, delivery)
            raise
        finally:
            self._workers[me] = None
        self._settle(group, delivery, outcome)

    def _settle(self, group: str, delivery: Delivery, outcome: Outcome) -> None:
        if group in self._ephemeral and isinstance(outcome, RetryLater | DeadLetter):
            return  # an ephemeral group's failed delivery is dropped, as on RabbitMQ
        match outcome:
            case Ack():
                pass
            case Reply(to=to, correlation_id=correlation, envelope=envelope):
                self._reply(to, correlation, envelope)
            case RetryLater(delay=delay, attempt=attempt):
                headers = {**delivery.headers, codec.H_ATTEMPT: attempt}
                again = replace(delivery, headers=headers, redeliveries=0)
                # The delayed copy belongs to the broker, as RabbitMQ's delay queues do.
                queue = self.broker.queues[group]
                asyncio.get_running_loop().call_later(delay, queue.put_nowait, again)
            case DeadLetter(reason=reason, detail=detail, reply=reply):
                self.broker.dead_letter(group, delivery, reason, detail)
                if reply is not None:
                    self._reply(reply.to, reply.correlation_id, reply.envelope)

    def _reply(self, to: str, correlation: str, envelope: Envelope) -> None:
        out = codec.encode(envelope)
        self.broker.direct(to, Delivery(out.body, out.headers, to, None, correlation))

    async def close(self) -> None:
        """Stop taking; wait up to the grace period for handlers holding messages; stop."""
        if self._closing:
            return
        self._closing = True
        for task, held in self._workers.items():
            if held is None:
                task.cancel()
        for task in self._takers:
            task.cancel()
        busy = [t for t, held in self._workers.items() if held is not None]
        busy += self._answering
        if busy:
            _, late = await asyncio.wait(busy, timeout=self._grace)
            for task in late:
                task.cancel()
        await self._drain()

    async def kill(self) -> None:
        """Die like a crashed process: every handler is cancelled mid-flight."""
        self._closing = True
        for task in [*self._workers, *self._takers, *self._answering]:
            task.cancel()
        await self._drain()

    async def _drain(self) -> None:
        for task in [*self._workers, *self._takers, *self._answering]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        self._takers.clear()
        self.broker.listen(self._reply_address, None)
        for group in self._ephemeral:
            self.broker.forget(group)
