"""Starting `eco2` and other processes, waiting for them, and stopping a set of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from support.env import ECO2, ROOT


@dataclass
class Eco2Process:
    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def halt(self, grace: float = 20.0) -> int:
        """SIGTERM, and after `grace` seconds SIGKILL to its whole process group."""
        try:
            return await self.stop(timeout=grace)
        except TimeoutError:
            print(f"  {self.log.stem} ignored SIGTERM for {grace} s; killing it", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            return await self.process.wait()


async def spawn(
    args: list[str],
    env: Mapping[str, str],
    log: Path,
    cwd: Path = ROOT,
    *,
    append: bool = False,
    session: bool = False,
) -> Eco2Process:
    """Start `args` with the project importable and `env` added, its output in `log`
    (`append`ed to it); with `session`, in a session of its own (a Ctrl-C reaches only
    whoever started it, which then stops it)."""
    with log.open("ab" if append else "wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=handle,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=session,
        )
    return Eco2Process(process, log)


@dataclass
class Processes:
    """Named processes, each logging to `<workdir>/<name>.log`."""

    workdir: Path
    processes: dict[str, Eco2Process] = field(default_factory=dict)

    async def spawn(self, name: str, args: list[str], env: Mapping[str, str]) -> Eco2Process:
        process = await spawn(args, env, self.workdir / f"{name}.log", session=True)
        self.processes[name] = process
        return process

    async def run(self, name: str, args: list[str], env: Mapping[str, str], timeout: float) -> str:
        """Run a process to its end; its output, or an error with the output's tail."""
        process = await self.spawn(name, args, env)
        try:
            code = await asyncio.wait_for(process.process.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"{name} took more than {timeout} s") from None
        self.processes.pop(name)
        if code != 0:
            raise RuntimeError(f"{name} exited with {code}:\n{process.output()[-3000:]}")
        return process.output()

    def check_alive(self) -> None:
        """Raise if any process of the fleet has exited."""
        for name, process in self.processes.items():
            if process.returncode is not None:
                tail = process.output()[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    async def stop(self, *batches: Iterable[str]) -> None:
        """Stop the named processes batch by batch (each in parallel), then the rest."""
        for batch in (*batches, list(self.processes)):
            names = [name for name in batch if name in self.processes]
            stopping = (self.processes.pop(name).halt() for name in names)
            await asyncio.gather(*stopping, return_exceptions=True)


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
        # Every test user registers from the one loopback address.
        "ECO2_REGISTRATION_MAX_PER_CLIENT": "1000000",
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
