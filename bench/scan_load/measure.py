"""Measuring the benchmark's processes from /proc: memory, CPU time, the shared servers."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVERS = {"beam.smp": "rabbitmq", "redis-server": "redis", "postgres": "postgresql"}


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def status_kib(pid: int, field_name: str) -> int:
    """A `/proc/<pid>/status` memory field (VmRSS, VmHWM) in KiB; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def server_cpu() -> dict[str, float]:
    """CPU seconds so far of the shared servers (every process of each), by server."""
    totals = dict.fromkeys(SERVERS.values(), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in SERVERS:
            totals[SERVERS[comm]] += cpu_seconds(int(entry.name))
    return totals


@dataclass
class Sampler:
    """Peak RSS of one process, sampled while the load runs."""

    pid: int
    pids: dict[str, int]
    peak_rss: int = 0
    running: bool = True
    cpu: dict[str, float] = field(default_factory=dict)
    servers: dict[str, float] = field(default_factory=dict)

    async def run(self, mark: Path, every: float = 0.05) -> None:
        """Sample until stopped; the CPU times once `mark` exists (or at the stop)."""
        while self.running:
            self.sample(mark)
            await asyncio.sleep(every)
        if not self.cpu:
            self.snapshot()

    def sample(self, mark: Path) -> None:
        """One sample (a few reads of /proc, no waiting)."""
        self.peak_rss = max(self.peak_rss, status_kib(self.pid, "VmRSS"))
        if not self.cpu and mark.exists():
            self.snapshot()

    def snapshot(self) -> None:
        self.cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.servers = server_cpu()
