"""`eco2 dlq …` against real RabbitMQ: list, show, requeue to the original route with a
loop guard, purge."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bus.ports import Message, Reject, Subscription
from bus.rabbit import RabbitBus
from contracts import new_envelope
from support.env import ECO2
from support.rabbit import temporary_group
from tests.contract.bus_suite import eventually
from tests.contract.messages import Note, registry

pytestmark = pytest.mark.rabbit


async def eco2(rabbit_url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        ECO2,
        "dlq",
        *args,
        env={**os.environ, "ECO2_BUS_URL": rabbit_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.fixture
async def group(rabbit_url: str) -> AsyncIterator[str]:
    async with temporary_group(rabbit_url, "dlq") as name:
        yield name


async def test_list_show_requeue_with_loop_guard_and_purge(rabbit_url: str, group: str) -> None:
    accept = False
    handled: list[str] = []

    async def picky(message: Message[Any]) -> None:
        if not accept:
            raise Reject("not today")
        handled.append(message.payload.text)

    bus = RabbitBus(rabbit_url, registry())
    bus.subscribe(Subscription(group, ["testbus.note"], picky))
    await bus.start()
    try:
        first, second = new_envelope(Note(text="one")), new_envelope(Note(text="two"))
        await bus.publish(first)
        await bus.publish(second)

        async def dead() -> list[dict[str, Any]]:
            code, stdout, stderr = await eco2(rabbit_url, "ls", group, "--json")
            assert code == 0, stderr
            return [json.loads(line) for line in stdout.splitlines()]

        async with asyncio.timeout(15):
            while len(await dead()) < 2:
                await asyncio.sleep(0.2)
        letters = await dead()
        assert {d["reason"] for d in letters} == {"rejected"}
        assert {d["routing_key"] for d in letters} == {"testbus.note"}

        code, stdout, _ = await eco2(rabbit_url, "show", group, str(first.message_id), "--json")
        assert code == 0
        assert json.loads(stdout)["body"]["payload"] == {"text": "one"}

        accept = True
        code, _, stderr = await eco2(rabbit_url, "requeue", group, "--id", str(first.message_id))
        assert code == 0, stderr
        assert "requeued 1" in stderr
        await eventually(lambda: handled == ["one"])
        assert [d["message_id"] for d in await dead()] == [str(second.message_id)]

        code, _, stderr = await eco2(rabbit_url, "requeue", group, "--all", "--max-requeues", "0")
        assert code == 3, "some letters were not requeued"
        assert "refused 1" in stderr

        code, _, stderr = await eco2(rabbit_url, "purge", group)
        assert code == 2
        code, _, stderr = await eco2(rabbit_url, "purge", group, "--yes")
        assert (code, "purged 1" in stderr) == (0, True)
        assert await dead() == []
    finally:
        await bus.close()


async def test_unknown_group_and_memory_bus_are_clear_errors(rabbit_url: str) -> None:
    code, _, stderr = await eco2(rabbit_url, "ls", "no-such-group-here")
    assert code == 1
    assert "no dead-letter queue" in stderr
    code, _, stderr = await eco2("memory://", "ls", "storage")
    assert code == 2
    assert "ECO2_BUS_URL=amqp" in stderr
