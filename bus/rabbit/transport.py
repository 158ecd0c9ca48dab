"""The bus on RabbitMQ, on aio-pika's robust connection (ADR 0015).

Events and commands: persistent messages, publisher confirms, manual ack after the
handler, per-group prefetch, delayed retries through TTL queues, dead letters that keep
their reason. Requests (ADR 0008): transient, unconfirmed, consumed without ack from the
group's request queue, answered on the caller's private reply queue; the caller's timeout
bounds them.
A robust connection reconnects after the broker restarts, and its robust channels declare
their exchanges, queues, bindings, prefetch and consumers again; close is graceful.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from functools import partial
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError
from pamqp.commands import Basic

from bus import codec, telemetry
from bus.codec import Delivery, Outgoing
from bus.dispatch import Ack, DeadLetter, Dispatcher, Outcome, Reply, RetryLater
from bus.policy import RetryPolicy
from bus.ports import (
    BusError,
    Message,
    PublishFailed,
    RemoteError,
    RequestTimeout,
    Subscription,
)
from bus.rabbit import topology
from bus.rabbit.topology import GroupTopology
from contracts import Envelope, Registry
from contracts.errors.v1 import ErrorReply

log = logging.getLogger(__name__)


class _ReconnectNoise(logging.Filter):
    """aio-pika and aiormq report one lost connection as a WARNING with a traceback and an
    ERROR per channel ("Callback ... error: RuntimeError: ... closed", whose arguments
    cannot even be formatted). The robust connection recovers it by itself, so those
    records are dropped; the bus logs the loss and the recovery as one WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "aiormq.connection" and str(record.msg).startswith("Cancelling cause"):
            return False
        if record.name == "aio_pika.tools" and str(record.msg).startswith("Callback %r error"):
            args = record.args if isinstance(record.args, tuple) else ()
            return not (len(args) == 3 and "closed" in str(args[2]))
        return True


_NOISE = _ReconnectNoise()
for _name in ("aiormq.connection", "aio_pika.tools"):
    logging.getLogger(_name).addFilter(_NOISE)

# Headers the broker adds; a copy we republish (retry, dead letter) starts clean of them.
_BROKER_HEADERS = (
    "x-delivery-count",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
)
_TRANSIENT = (
    AMQPError,
    ConnectionError,
    ChannelInvalidStateError,
    TimeoutError,
    aiormq.exceptions.AMQPError,
)


class RabbitBus:
    def __init__(
        self,
        url: str,
        registry: Registry,
        *,
        policy: RetryPolicy | None = None,
        prefetch: int = 32,
        request_timeout: float = 5.0,
        publish_timeout: float = 30.0,
        grace: float = 10.0,
        delivery_limit: int = 20,
    ) -> None:
        self._registry = registry
        self._policy = policy or RetryPolicy()
        self._prefetch = prefetch
        self._request_timeout = request_timeout
        self._publish_timeout = publish_timeout
        self._delivery_limit = delivery_limit
        self._url = url
        self._connection: AbstractRobustConnection | None = None
        self._lost_at: float | None = None  # when the connection was lost, until recovered
        self._lost_because: BaseException | None = None
        self._groups: list[tuple[GroupTopology, Dispatcher, int]] = []
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._grace = grace
        self._reply_queue = f"eco2.reply.{uuid.uuid4().hex}"
        self._pending: dict[str, asyncio.Future[Delivery]] = {}
        self._exchanges: dict[str, AbstractExchange] = {}  # on the channel with confirms
        self._rpc: AbstractChannel | None = None  # no confirms: requests and replies
        self._rpc_exchanges: dict[str, AbstractExchange] = {}
        self._started = False
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise BusError("subscribe before start")
        group = GroupTopology(
            subscription.group,
            tuple(subscription.bindings),
            self._policy.tiers(),
            self._delivery_limit,
            subscription.ephemeral,
            subscription.single_active,
        )
        dispatcher = Dispatcher(
            subscription.group, subscription.handler, self._registry, self._policy
        )
        prefetch = subscription.prefetch or self._prefetch
        self._groups.append((group, dispatcher, prefetch))

    def _on_lost(self, _: Any, exc: BaseException | None = None) -> None:
        if self._started and self._lost_at is None:
            self._lost_at, self._lost_because = time.monotonic(), exc

    def _on_recovered(self, _: Any) -> None:
        if self._lost_at is not None:
            took = time.monotonic() - self._lost_at
            log.warning(
                "RabbitMQ connection lost (%s) and recovered in %.1f s",
                self._lost_because or "closed",
                took,
            )
        self._lost_at, self._lost_because = None, None

    async def start(self) -> None:
        self._started = True
        try:
            self._connection = connection = await aio_pika.connect_robust(
                self._url,
                reconnect_interval=1.0,
                client_properties={"connection_name": f"eco2 {self._reply_queue}"},
            )
            connection.close_callbacks.add(self._on_lost)
            connection.reconnect_callbacks.add(self._on_recovered)
            publishing = await connection.channel(publisher_confirms=True)
            self._exchanges = await topology.declare_exchanges(publishing)
            # Requests and replies travel on a channel without confirms; handlers may
            # send requests as soon as the first consumer starts, so it comes first. The
            # reply queue is the process's own (robust: re-declared after a reconnect).
            self._rpc = await connection.channel(publisher_confirms=False)
            self._rpc_exchanges = {"": self._rpc.default_exchange}
            for exchange in topology.EXCHANGES:  # declared above; publishing needs the name
                found = await self._rpc.get_exchange(exchange.name, ensure=False)
                self._rpc_exchanges[exchange.name] = found
            replies = await self._rpc.declare_queue(
                self._reply_queue, exclusive=True, auto_delete=True
            )
            await replies.consume(self._on_reply, no_ack=True)
            for group, dispatcher, prefetch in self._groups:
                # Each group on a channel of its own, which carries the group's prefetch.
                channel = await connection.channel(publisher_confirms=False)
                await channel.set_qos(prefetch_count=prefetch)
                queue, requests = await topology.declare_group(channel, group)
                tag = await queue.consume(partial(self._consume, dispatcher, group, True))
                self._consumers.append((queue, tag))
                if requests is not None:
                    answer = partial(self._consume, dispatcher, group, False)
                    tag = await requests.consume(answer, no_ack=True)
                    self._consumers.append((requests, tag))
        except _TRANSIENT as exc:
            raise BusError(f"cannot start the RabbitMQ bus: {exc}") from exc

    async def close(self) -> None:
        """Cancel consumers, wait for in-flight handlers (up to the grace period), close."""
        if self._closed:
            return
        self._closed = True
        for queue, tag in self._consumers:
            if not queue.channel.is_closed:
                with contextlib.suppress(*_TRANSIENT):
                    await queue.cancel(tag)
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._grace)
        await self._disconnect()

    async def kill(self) -> None:
        """Drop the connection like a crashed process: unacked messages go back to the queue."""
        self._closed = True
        await self._disconnect()

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_TRANSIENT):
                await connection.close()

    async def ping(self) -> bool:
        """Whether the connection is up, waiting up to 2 s for a reconnect under way."""
        connection = self._connection
        if connection is None or connection.is_closed:
            return False
        try:
            await asyncio.wait_for(connection.connected.wait(), 2.0)
        except TimeoutError:
            return False
        return True

    # --- publishing ------------------------------------------------------------------

    async def publish(self, envelope: Envelope) -> None:
        envelope = telemetry.with_current_trace(envelope)
        await self._send(codec.encode(envelope), topology.EVENTS.name, envelope.type)
        telemetry.count_published(envelope.type)

    async def request(self, envelope: Envelope, *, timeout: float | None = None) -> Message[Any]:
        timeout = timeout or self._request_timeout
        started = time.monotonic()
        key = str(envelope.message_id)
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            envelope = telemetry.with_current_trace(envelope)
            await self._send(
                codec.encode(envelope),
                topology.REQUESTS.name,
                envelope.type,
                reply_to=self._reply_queue,
                expiration=timeout,
                deadline=timeout,
            )
            left = max(timeout - (time.monotonic() - started), 0.0)  # one budget in all
            try:
                delivery = await asyncio.wait_for(future, left)
            except TimeoutError:
                raise RequestTimeout(f"no reply to {envelope.type} within {timeout}s") from None
        finally:
            self._pending.pop(key, None)
        reply, payload = self._registry.parse(delivery.body)
        if isinstance(payload, ErrorReply):
            raise RemoteError(payload.code, payload.message)
        return Message(reply, payload, 1, delivery.routing_key)

    async def _send(
        self,
        out: Outgoing,
        exchange: str,
        routing_key: str,
        *,
        reply_to: str | None = None,
        correlation_id: str | None = None,
        expiration: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Publish and ride out a reconnect up to a deadline.

        With a `deadline` (requests and replies) the message is transient and unconfirmed;
        otherwise persistent, and this waits for the broker's confirm.
        """
        transient = deadline is not None
        deadline = time.monotonic() + (deadline or self._publish_timeout)
        pause = 0.1
        while True:
            try:
                target = self._exchange(exchange, transient)
                confirm = await target.publish(
                    aio_pika.Message(
                        out.body,
                        headers=out.headers,
                        content_type=codec.CONTENT_TYPE,
                        delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT
                        if transient
                        else aio_pika.DeliveryMode.PERSISTENT,
                        message_id=out.message_id,
                        type=out.type,
                        correlation_id=correlation_id or out.correlation_id,
                        reply_to=reply_to,
                        expiration=expiration,
                        app_id="eco2",
                    ),
                    routing_key=routing_key,
                    mandatory=False,
                    timeout=self._publish_timeout,
                )
            except _TRANSIENT as exc:
                if time.monotonic() + pause > deadline:
                    raise PublishFailed(f"publish {out.type} failed: {exc!r}") from exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                continue
            if not transient and not isinstance(confirm, Basic.Ack):
                raise PublishFailed(f"broker did not confirm {out.type}: {confirm!r}")
            return

    def _exchange(self, name: str, transient: bool) -> AbstractExchange:
        """An exchange `start` declared: on the confirming channel, or, `transient`, on the
        channel without confirms."""
        found = (self._rpc_exchanges if transient else self._exchanges).get(name)
        if found is None:
            raise BusError(f"the RabbitMQ bus is not started (exchange {name!r})")
        return found

    # --- consuming -------------------------------------------------------------------

    async def _consume(
        self,
        dispatcher: Dispatcher,
        group: GroupTopology,
        acked: bool,
        raw: AbstractIncomingMessage,
    ) -> None:
        """Handle one delivery; `acked` is false for requests, consumed without ack."""
        self._in_flight += 1
        self._idle.clear()
        try:
            headers = dict(raw.headers or {})
            delivery = Delivery(
                body=raw.body,
                headers=headers,
                routing_key=str(headers.get(codec.H_ORIGINAL_ROUTING_KEY) or raw.routing_key or ""),
                reply_to=raw.reply_to,
                message_id=raw.message_id,
                redeliveries=_int(headers.get("x-delivery-count")),
            )
            outcome = await dispatcher.handle(delivery)
            try:
                await self._settle(group, raw.type, delivery, outcome)
                if acked:
                    await raw.ack()
            except (*_TRANSIENT, PublishFailed):
                if not acked:
                    log.warning("could not settle a request to %s", group.group, exc_info=True)
                    return
                # Unacked, so the broker redelivers it; handlers' effects are idempotent.
                log.warning(
                    "could not settle a %s message; it will be redelivered",
                    group.group,
                    exc_info=True,
                )
                with contextlib.suppress(*_TRANSIENT):
                    await raw.nack(requeue=True)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _settle(
        self, group: GroupTopology, message_type: str | None, delivery: Delivery, outcome: Outcome
    ) -> None:
        if group.ephemeral and isinstance(outcome, RetryLater | DeadLetter):
            log.warning("dropping a %s message of ephemeral group %s", message_type, group.group)
            return
        match outcome:
            case Ack():
                pass
            case Reply():
                await self._reply(outcome)
            case RetryLater(delay=delay, attempt=attempt):
                headers = _clean(delivery.headers) | {
                    codec.H_ATTEMPT: attempt,
                    codec.H_ORIGINAL_ROUTING_KEY: delivery.routing_key,
                }
                await self._send(
                    _copy(delivery, message_type, headers), "", group.retry_name(delay)
                )
            case DeadLetter(reason=reason, detail=detail, reply=reply):
                headers = _clean(delivery.headers) | {
                    codec.H_DEAD_REASON: reason,
                    codec.H_DEAD_DETAIL: detail[:2000],
                    codec.H_ORIGINAL_EXCHANGE: topology.EVENTS.name,
                    codec.H_ORIGINAL_ROUTING_KEY: delivery.routing_key,
                    codec.H_GROUP: group.group,
                }
                await self._send(
                    _copy(delivery, message_type, headers), topology.DLX.name, group.queue_name
                )
                if reply is not None:
                    await self._reply(reply)

    async def _reply(self, reply: Reply) -> None:
        await self._send(
            codec.encode(reply.envelope),
            "",
            reply.to,
            correlation_id=reply.correlation_id,
            deadline=self._request_timeout,
        )

    async def _on_reply(self, raw: AbstractIncomingMessage) -> None:
        future = self._pending.get(raw.correlation_id or "")
        if future is not None and not future.done():
            future.set_result(Delivery(raw.body, dict(raw.headers or {}), raw.routing_key or ""))


def _clean(headers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k not in _BROKER_HEADERS}


def _copy(delivery: Delivery, message_type: str | None, headers: dict[str, Any]) -> Outgoing:
    return Outgoing(
        body=delivery.body,
        message_id=delivery.message_id or str(uuid.uuid4()),
        type=message_type or delivery.routing_key,
        correlation_id=str(headers.get(codec.H_CORRELATION, "")),
        headers=headers,
    )


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
