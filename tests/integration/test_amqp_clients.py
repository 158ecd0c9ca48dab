"""A plain aio-pika program (not the project's code) drives `eco2 run system` over RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest

from support.processes import Eco2Process, start_component

pytestmark = [pytest.mark.rabbit, pytest.mark.postgres, pytest.mark.redis]


def ping_envelope(note: str) -> dict[str, object]:
    message_id = str(uuid.uuid4())
    return {
        "message_id": message_id,
        "type": "system.ping",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": message_id,
        "payload": {"note": note},
    }


@pytest.fixture
async def system_process(
    rabbit_url: str, postgres_url: str, redis_url: str
) -> AsyncIterator[Eco2Process]:
    async with start_component("system", rabbit_url, postgres_url, redis_url) as process:
        yield process


async def test_plain_amqp_ping_is_answered_and_malformed_one_is_dead_lettered(
    system_process: Eco2Process, rabbit_url: str
) -> None:
    connection = await aio_pika.connect(rabbit_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        replies = await channel.declare_queue(exclusive=True)
        events = await channel.get_exchange("eco2.events")
        dead = await channel.get_queue("eco2.system.dead")
        await dead.purge()

        async def ask(note: str) -> dict[str, object]:
            envelope = ping_envelope(note)
            await events.publish(
                aio_pika.Message(
                    json.dumps(envelope).encode(),
                    message_id=str(envelope["message_id"]),
                    type="system.ping",
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    reply_to=replies.name,
                ),
                routing_key="system.ping",
            )
            async with asyncio.timeout(20):
                async with replies.iterator() as incoming:
                    async for message in incoming:
                        await message.ack()
                        assert message.correlation_id == envelope["message_id"]
                        reply: dict[str, object] = json.loads(message.body)
                        return reply
            raise AssertionError("no reply")

        first = await ask("hello")
        assert first["type"] == "system.pong"
        assert first["causation_id"] == first["payload"]["ping_id"]  # type: ignore[index]
        assert first["payload"]["note"] == "hello"  # type: ignore[index]

        await events.publish(
            aio_pika.Message(b"{this is not json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key="system.ping",
        )
        second = await ask("still here")
        assert second["payload"]["note"] == "still here"  # type: ignore[index]

        async with asyncio.timeout(10):
            while (letter := await dead.get(no_ack=True, fail=False)) is None:
                await asyncio.sleep(0.05)
        assert letter.body == b"{this is not json"
        assert letter.headers["x-eco2-dead-reason"] == "malformed"
        assert "not JSON" in str(letter.headers["x-eco2-dead-detail"])
        assert letter.headers["x-eco2-original-routing-key"] == "system.ping"
        assert letter.headers["x-eco2-original-exchange"] == "eco2.events"
