"""Starting `eco2` and test worker processes, and waiting for them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ECO2 = str(Path(sys.executable).with_name("eco2"))


@dataclass
class Eco2Process:
    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)


async def spawn(
    args: list[str], env: Mapping[str, str], log: Path, cwd: Path = ROOT
) -> Eco2Process:
    handle = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=handle,
        stderr=asyncio.subprocess.STDOUT,
    )
    handle.close()
    return Eco2Process(process, log)


async def wait_for_line(process: Eco2Process, text: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while text not in process.output():
            if process.process.returncode is not None:
                raise AssertionError(f"process exited early:\n{process.output()}")
            await asyncio.sleep(0.1)


def service_env(rabbit_url: str, postgres_url: str, redis_url: str) -> dict[str, str]:
    return {
        "ECO2_BUS_URL": rabbit_url,
        "ECO2_DATABASE_URL": postgres_url,
        "ECO2_REDIS_URL": redis_url,
        "ECO2_LOG_LEVEL": "INFO",
    }


@asynccontextmanager
async def start_component(
    name: str, rabbit_url: str, postgres_url: str, redis_url: str, log_dir: Path | None = None
) -> AsyncIterator[Eco2Process]:
    log = (log_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"eco2-{name}-{os.getpid()}.log"
    process = await spawn(
        [ECO2, "run", name], service_env(rabbit_url, postgres_url, redis_url), log
    )
    try:
        await wait_for_line(process, "eco2 running")
        yield process
    finally:
        code = await process.stop()
        assert code == 0, f"eco2 run {name} exited with {code}:\n{process.output()}"
