"""Worker processes the chaos suite starts, kills and restarts; each slot keeps its data
directory (and so its journal) across restarts, like a StatefulSet pod keeps its volume."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from support.env import ECO2
from support.processes import spawn


@dataclass
class Slot:
    component: str
    index: int
    data_dir: Path
    env: Mapping[str, str]
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: int = 0
    self_kills: int = 0  # died at a fault point
    exits: int = 0  # stopped with an error (e.g. a server unreachable at start)
    log_offset: int = 0  # where this start's output begins in the log

    @property
    def log(self) -> Path:
        return self.data_dir / "worker.log"

    @property
    def name(self) -> str:
        return f"{self.component}-{self.index}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def running(self) -> bool:
        """Alive and past its start: it said it is running, so it holds work to lose."""
        if not self.alive or not self.log.exists():
            return False
        with self.log.open("rb") as handle:
            handle.seek(self.log_offset)
            return b"eco2 running" in handle.read()

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "ECO2_DATA_DIR": str(self.data_dir)}
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = (
            await spawn([ECO2, "run", self.component], env, self.log, append=True)
        ).process
        self.starts += 1

    async def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.kills += 1

    async def stop(self) -> int | None:
        if not self.alive:
            return None
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 60)


@dataclass
class Fleet:
    slots: list[Slot] = field(default_factory=list)

    async def revive(self) -> None:
        """Restart every slot whose process died on its own (a fault point, or an error)."""
        for slot in self.slots:
            if slot.process is None:
                await slot.start()
            elif slot.process.returncode is not None:
                if slot.process.returncode == -signal.SIGKILL:
                    slot.self_kills += 1
                else:
                    slot.exits += 1
                await slot.start()

    async def kill_and_restart(self, slot: Slot) -> None:
        await slot.kill()
        await slot.start()

    async def kill_one_running(self) -> None:
        """SIGKILL one slot that is past its start, picked at random, and start it again.

        A process killed while it is still importing holds no work; on a loaded machine,
        where a start takes seconds, killing at random regardless would kill mostly
        starting processes and the run would stall rather than test anything."""
        running = [slot for slot in self.slots if slot.running]
        if running:
            await self.kill_and_restart(random.choice(running))

    async def stop(self) -> None:
        await asyncio.gather(*(slot.stop() for slot in self.slots))
