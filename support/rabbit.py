"""Helpers for tests on real RabbitMQ: consumer groups and vhosts of their own, rabbitmqctl."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote, urlsplit

import aio_pika

from bus.policy import RetryPolicy
from bus.rabbit.topology import delete_group
from support.env import unavailable

RABBITMQCTL = os.environ.get("RABBITMQCTL", "rabbitmqctl")


def require_rabbitmqctl(purpose: str) -> None:
    """rabbitmqctl must be on PATH; without it the test fails under ECO2_REQUIRE_SERVICES=1
    (CI) and is skipped elsewhere, like the tests that need a server."""
    if shutil.which(RABBITMQCTL) is None:
        unavailable(f"rabbitmqctl is needed to {purpose}")


async def rabbitmqctl(*args: str, patience: float = 0.0) -> None:
    """Run `rabbitmqctl args` off the event loop; a failure raises with its output.

    With `patience`, a failure is retried for that many seconds (the broker's app may be
    down for a moment, restarted by another test run).
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            await asyncio.to_thread(
                subprocess.run, [RABBITMQCTL, *args], check=True, capture_output=True, timeout=120
            )
            return
        except subprocess.CalledProcessError as exc:
            if time.monotonic() > deadline:
                output = (exc.stdout or b"").decode(errors="replace")
                raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {output}") from exc
            await asyncio.sleep(2.0)


@asynccontextmanager
async def temporary_vhost(
    rabbit_url: str, prefix: str, patience: float = 0.0
) -> AsyncIterator[str]:
    """A vhost of its own for `guest`, deleted afterwards; yields its AMQP URL.

    `patience` as for `rabbitmqctl`.
    """
    require_rabbitmqctl("create a RabbitMQ vhost")
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    try:
        await rabbitmqctl("add_vhost", vhost, patience=patience)
    except BaseException:
        with contextlib.suppress(RuntimeError):  # a retried add may have worked after all
            await rabbitmqctl("delete_vhost", vhost)
        raise
    try:
        await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield urlsplit(rabbit_url)._replace(path=f"/{quote(vhost, safe='')}").geturl()
    finally:
        await rabbitmqctl("delete_vhost", vhost, patience=patience)


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
