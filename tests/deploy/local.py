"""Containers run as local processes: the view of one container, mapped onto this machine.

A container here is its argv, its environment, its mounts and its ports, as the chart or
the compose file gives them, with three translations a container runtime would otherwise
do:

- files: each mount is a host directory (`mounts`, container path → directory); any other
  absolute path is on that container's own root filesystem (`rootfs`). Environment values
  that are absolute paths are rewritten to where that path really is here;
- network: every process shares this machine's network, so each port the container
  listens on (declared or EXPOSEd by the image) gets a free host port, and environment
  values and probe commands naming that port are rewritten to it;
- programs: the image's `eco2` is this environment's.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import httpx

from support.env import ROOT
from support.processes import Eco2Process
from support.servers import free_port
from tests.deploy.image import executable


@dataclass(frozen=True)
class HttpProbe:
    path: str
    port: int  # the container port


@dataclass(frozen=True)
class CommandProbe:
    argv: list[str]


Probe = HttpProbe | CommandProbe


@dataclass
class Container:
    """One container of one pod (or compose service)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    rootfs: Path
    workdir: str = "/"
    mounts: dict[str, Path] = field(default_factory=dict)
    ports: dict[int, int] = field(default_factory=dict)  # container port → host port
    readiness: Probe | None = None
    liveness: Probe | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def host_path(self, path: str) -> Path:
        """Where the container's absolute `path` is on this machine."""
        target = PurePosixPath(path)
        best: tuple[int, Path] | None = None
        for mount, directory in self.mounts.items():
            base = PurePosixPath(mount)
            if target == base or base in target.parents:
                depth = len(base.parts)
                if best is None or depth > best[0]:
                    best = (depth, directory / target.relative_to(base))
        if best is not None:
            return best[1]
        return self.rootfs / target.relative_to("/")

    def publish(self, container_ports: Sequence[int]) -> None:
        for port in container_ports:
            self.ports.setdefault(port, free_port())

    def _rewrite(self, value: str) -> str:
        for port, host in self.ports.items():
            value = re.sub(rf"(?<![0-9]){port}(?![0-9])", str(host), value)
        return value

    def process_env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.host_path("/tmp")),
            "LANG": "C.UTF-8",
        }
        for key, value in self.env.items():
            if value.startswith("/"):
                env[key] = str(self.host_path(value))
            elif value.isdigit():
                env[key] = self._rewrite(value)
            else:
                env[key] = value
        return env

    def host_argv(self) -> list[str]:
        return executable(self.argv)

    def probe_argv(self, probe: CommandProbe) -> list[str]:
        argv = [self._rewrite(part) for part in probe.argv]
        return [sys.executable, *argv[1:]] if argv and argv[0] == "python" else argv


async def _probe(container: Container, probe: Probe, client: httpx.AsyncClient) -> bool:
    if isinstance(probe, HttpProbe):
        try:
            response = await client.get(
                f"http://127.0.0.1:{container.ports[probe.port]}{probe.path}"
            )
        except httpx.HTTPError:
            return False
        return 200 <= response.status_code < 400
    checking = await asyncio.create_subprocess_exec(
        *container.probe_argv(probe),
        env=container.process_env(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await checking.wait() == 0


@dataclass
class Running:
    container: Container
    process: Eco2Process


class LocalRuntime:
    """Starts containers as processes under `logs`; stops them all on exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[Running] = []
        self._client = httpx.AsyncClient(timeout=3)

    async def start(self, container: Container) -> Running:
        for directory in {*container.mounts.values(), container.rootfs}:
            directory.mkdir(parents=True, exist_ok=True)
        workdir = container.host_path(container.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        container.host_path("/tmp").mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{container.name}.log"
        handle = log.open("wb")
        process = await asyncio.create_subprocess_exec(
            *container.host_argv(),
            cwd=workdir,
            env=container.process_env(),
            stdout=handle,
            stderr=asyncio.subprocess.STDOUT,
        )
        handle.close()
        running = Running(container, Eco2Process(process, log))
        self.running.append(running)
        return running

    async def run_to_completion(self, container: Container, timeout: float = 120) -> None:
        """A Job's or one-shot service's container: it must exit 0."""
        running = await self.start(container)
        code = await asyncio.wait_for(running.process.process.wait(), timeout)
        assert code == 0, f"{container.name} exited with {code}:\n{running.process.output()}"

    async def wait_ready(self, running: Running, timeout: float = 300) -> None:
        """Until the readiness probe passes; without one, until the process says it runs
        (what a Service would assume of a pod without a probe: ready once started)."""
        container = running.container
        probe = container.readiness
        async with asyncio.timeout(timeout):
            while not (
                await _probe(container, probe, self._client)
                if probe is not None
                else "eco2 running" in running.process.output()
            ):
                if running.process.process.returncode is not None:
                    raise AssertionError(
                        f"{container.name} exited with {running.process.process.returncode}"
                        f" before it was ready:\n{running.process.output()}"
                    )
                await asyncio.sleep(0.2)

    async def alive(self, running: Running) -> bool:
        probe = running.container.liveness
        assert probe is not None, f"{running.container.name} has no liveness check"
        return await _probe(running.container, probe, self._client)

    def output(self) -> str:
        return "\n".join(
            f"--- {r.container.name} (exit {r.process.process.returncode}):\n"
            + r.process.output()[-3000:]
            for r in self.running
        )

    async def close(self) -> None:
        for running in reversed(self.running):
            if running.process.process.returncode is None:
                running.process.process.send_signal(signal.SIGTERM)
        for running in self.running:
            try:
                await asyncio.wait_for(running.process.process.wait(), 30)
            except TimeoutError:
                running.process.process.kill()
                await running.process.process.wait()
        await self._client.aclose()


@asynccontextmanager
async def local_runtime(logs: Path) -> AsyncIterator[LocalRuntime]:
    runtime = LocalRuntime(logs)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(runtime.close)
        yield runtime


def merged(*layers: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for layer in layers:
        result.update(layer)
    return result


__all__ = ["ROOT", "Container", "LocalRuntime", "local_runtime"]
