"""The system under test: its working directory, the processes it runs and the resources it
made (a vhost, a database, a Redis database), all undone at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.databases import flushed_redis, fresh_database
from support.env import POSTGRES_URL, RABBIT_URL, redis_db
from support.processes import Processes
from support.rabbit import temporary_vhost

REDIS_DB = 13


@dataclass
class System:
    workdir: Path
    processes: Processes
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def servers(self) -> tuple[str, str, str]:
        """A fresh vhost, database and Redis database; their URLs (bus, database, redis)."""
        # The vhost may take a while if another run restarts the broker's app meanwhile.
        vhost = temporary_vhost(RABBIT_URL, "eco2-bench-scan", patience=90.0)
        bus = await self.resources.enter_async_context(vhost)
        database = fresh_database(POSTGRES_URL, "eco2_bench_scan")
        return (
            bus,
            await self.resources.enter_async_context(database),
            await self.resources.enter_async_context(flushed_redis(redis_db(REDIS_DB))),
        )

    async def child(self, name: str, args: list[str], timeout: float) -> dict[str, Any]:
        """Run a sub-command of this benchmark in a process of its own; its JSON answer."""
        command = [sys.executable, "-m", "bench.scan_load", *args]
        out = await self.processes.run(name, command, {}, timeout)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


@contextlib.asynccontextmanager
async def system(keep: bool) -> AsyncIterator[System]:
    """A system whose processes are stopped (the gateway first, the workers next, then the
    rest) and whose resources are undone on the way out, even when cancelled."""
    workdir = Path(tempfile.mkdtemp(prefix="eco2-bench-scan-"))
    sut = System(workdir, Processes(workdir))
    failed = False
    try:
        async with sut.resources:
            try:
                yield sut
            finally:
                stopping = sut.processes.stop(["gateway", "load"], ["ai", "storage"])
                await asyncio.shield(stopping)
    except BaseException:
        failed = True
        raise
    finally:
        if keep or failed:
            print(f"logs and data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
