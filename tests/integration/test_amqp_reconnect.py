"""A RabbitMQ connection lost and recovered by itself is one WARNING line, not a page of
ERROR tracebacks from aio-pika and aiormq; messages flow again afterwards."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import pytest

from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.system.v1 import Ping
from support.rabbit import temporary_vhost
from tests.chaos.proxy import Proxy
from tests.contract.bus_suite import eventually

pytestmark = pytest.mark.rabbit


async def test_a_recovered_reconnect_is_one_warning(
    rabbit_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with temporary_vhost(rabbit_url, "eco2-reconnect") as url:
        parts = urlsplit(url)
        proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5672)
        await proxy.start()
        through = parts._replace(netloc=f"guest:guest@127.0.0.1:{proxy.port}").geturl()
        bus = RabbitBus(through, build_registry())
        seen: list[Message[Any]] = []

        async def record(message: Message[Any]) -> None:
            seen.append(message)

        bus.subscribe(Subscription("reconnect", ["system.ping"], record))
        await bus.start()
        try:
            with caplog.at_level(logging.INFO):
                await proxy.cut(0.5)
                await bus.publish(new_envelope(Ping(note="after")))
                await eventually(lambda: len(seen) == 1, timeout=30)
        finally:
            await bus.close()
            await proxy.close()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(" (")[0] for r in loud] == ["RabbitMQ connection lost"]
    assert "recovered in" in loud[0].getMessage()
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
