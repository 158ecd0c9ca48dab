"""SIGKILL a consumer process holding unacked messages: another consumer gets every one."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bus.rabbit import RabbitBus
from contracts import new_envelope
from support.processes import Eco2Process, spawn, wait_for_line
from support.rabbit import temporary_group
from tests.contract.messages import Note, registry

pytestmark = pytest.mark.rabbit


@pytest.fixture
async def group(rabbit_url: str) -> AsyncIterator[str]:
    async with temporary_group(rabbit_url, "crash") as name:
        yield name


async def _worker(
    group: str, done: Path, rabbit_url: str, tmp_path: Path, name: str
) -> Eco2Process:
    process = await spawn(
        [sys.executable, "-m", "tests.integration.slow_worker", group, str(done)],
        {"ECO2_BUS_URL": rabbit_url, "ECO2_PREFETCH": "10"},
        tmp_path / f"{name}.log",
    )
    await wait_for_line(process, "worker ready")
    return process


def _handled(done: Path) -> list[tuple[str, int, str]]:
    if not done.exists():
        return []
    rows = [line.split() for line in done.read_text().splitlines() if line.strip()]
    return [(text, int(attempt), pid) for text, attempt, pid in rows]


async def test_sigkilled_consumer_loses_nothing(
    rabbit_url: str, group: str, tmp_path: Path
) -> None:
    done = tmp_path / "done.txt"
    first = await _worker(group, done, rabbit_url, tmp_path, "first")
    publisher = RabbitBus(rabbit_url, registry())
    await publisher.start()
    texts = [f"task{i}" for i in range(40)]
    try:
        for text in texts:
            await publisher.publish(new_envelope(Note(text=text)))
    finally:
        await publisher.close()

    async with asyncio.timeout(30):
        while len(_handled(done)) < 3:
            await asyncio.sleep(0.02)
    first.process.send_signal(signal.SIGKILL)
    assert await first.process.wait() == -signal.SIGKILL
    by_first = {text for text, _, _ in _handled(done)}
    assert len(by_first) < len(texts), "the first worker must die with work in hand"

    second = await _worker(group, done, rabbit_url, tmp_path, "second")
    try:
        async with asyncio.timeout(60):
            while {text for text, _, _ in _handled(done)} != set(texts):
                await asyncio.sleep(0.05)
    finally:
        await second.stop()

    handled = _handled(done)
    second_pid = str(second.process.pid)
    redelivered = [(t, a) for t, a, pid in handled if pid == second_pid and a > 1]
    assert redelivered, "messages held by the killed worker come back as later attempts"
    assert {t for t, _, _ in handled} == set(texts), "nothing is lost"
