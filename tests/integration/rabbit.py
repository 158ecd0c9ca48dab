"""A fixture helper for tests that create consumer groups of their own on real RabbitMQ."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika

from bus.policy import RetryPolicy
from bus.rabbit.topology import delete_group


@asynccontextmanager
async def temporary_group(
    url: str, prefix: str, policy: RetryPolicy | None = None
) -> AsyncIterator[str]:
    """A fresh group name; its queues are deleted afterwards."""
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        connection = await aio_pika.connect(url)
        async with connection:
            await delete_group(await connection.channel(), name, (policy or RetryPolicy()).tiers())
