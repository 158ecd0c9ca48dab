"""The benchmark itself (`run`): start the system, the baseline, the warm-up and the load,
measure the processes meanwhile, and print the figures (`report`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from typing import Any

import aiohttp

from bench.scan_load.measure import Sampler, cpu_seconds, server_cpu, status_kib
from bench.scan_load.report import Measured, line, report
from bench.scan_load.system import System, system
from bench.users import register
from support.env import ECO2
from support.fake_openai import MODEL
from support.servers import free_port, wait_http

SERVICES = ("accounts", "scan", "recycling", "character", "storage", "ai", "gateway")


async def fake_stats(url: str, reset: bool = False) -> dict[str, Any]:
    method = "DELETE" if reset else "GET"
    async with aiohttp.ClientSession() as session, session.request(method, url) as response:
        stats: dict[str, Any] = await response.json()
        return stats


def settings(
    sut: System, scans: int, servers: tuple[str, str, str], fake: str, port: int
) -> tuple[dict[str, str], dict[str, str]]:
    """The services' environment, and what the AI worker has on top (sized to the load)."""
    bus_url, database, redis_url = servers
    env = {
        "ECO2_BUS_URL": bus_url,
        "ECO2_DATABASE_URL": database,
        "ECO2_REDIS_URL": redis_url,
        "ECO2_DATA_DIR": str(sut.workdir / "data"),
        "ECO2_JWT_SECRET": uuid.uuid4().hex * 2,
        "ECO2_HTTP_PORT": str(port),
        "ECO2_LOG_LEVEL": "WARNING",
        "ECO2_ACCESS_TOKEN_TTL": "3600",
        # Every bench user registers from this one address.
        "ECO2_REGISTRATION_MAX_PER_CLIENT": "1000000",
    }
    ai_env = {
        "ECO2_AI_PROVIDER": "openai",
        "ECO2_OPENAI_BASE_URL": fake + "/v1",
        "ECO2_OPENAI_MODEL": MODEL,
        "ECO2_OPENAI_MAX_CONCURRENCY": str(2 * scans + 64),
        "ECO2_OPENAI_REQUESTS_PER_MINUTE": str(20 * scans + 1000),
        "ECO2_OPENAI_TIMEOUT": "60",
        "ECO2_PREFETCH": str(min(scans + 200, 10_000)),
    }
    return env, ai_env


async def main(args: argparse.Namespace) -> int:
    scans = args.scans
    async with system(args.keep) as sut:
        processes = sut.processes
        fake_port, gateway_port = free_port(), free_port()
        fake = f"http://127.0.0.1:{fake_port}"
        latency = ["--vision", str(args.vision), "--answer", str(args.answer)]
        fake_command = [sys.executable, "-m", "bench.scan_load", "fake", str(fake_port)]
        await processes.spawn("fake", [*fake_command, *latency], {})
        servers = await sut.servers()
        await wait_http(f"{fake}/stats", check=processes.check_alive)

        # The raw baseline first, on an idle machine.
        line("scans", f"{scans} concurrent, {args.users} users, one AI and one storage worker")
        line("simulated model latency", f"vision {args.vision} s, answer {args.answer} s")
        await sut.child("raw-warmup", ["raw", fake + "/v1", "--scans", "4"], 60)
        raw_args = ["raw", fake + "/v1", "--scans", str(scans), "--timeout", str(args.timeout)]
        raw = await sut.child("raw", raw_args, args.timeout + 60)
        await fake_stats(fake + "/stats", reset=True)

        env, ai_env = settings(sut, scans, servers, fake, gateway_port)
        shown = " ".join(f"{k}={v}" for k, v in ai_env.items() if k != "ECO2_OPENAI_BASE_URL")
        line("AI worker settings", shown)
        await processes.run("migrate", [ECO2, "migrate"], env, 120)
        pids: dict[str, int] = {}
        for name in SERVICES:
            run_env = {**env, **ai_env} if name == "ai" else env
            pids[name] = (await processes.spawn(name, [ECO2, "run", name], run_env)).pid
        pids["fake"] = processes.processes["fake"].pid
        base = f"http://127.0.0.1:{gateway_port}"
        await wait_http(f"{base}/readyz", check=processes.check_alive)
        tokens_file = sut.workdir / "tokens.json"
        tokens_file.write_text(json.dumps(await register(base, args.users, "bench-scan")))

        # A warm-up round through the whole pipeline: every process has started, connected
        # and compiled its paths; the AI worker's RSS after it is the idle figure.
        load = ["load", base, "--tokens", str(tokens_file), "--timeout", str(args.timeout)]
        warm = await sut.child("warmup", [*load, "--scans", "4", "--warmup"], 120)
        processes.check_alive()
        if warm["completed"] != 4:
            raise RuntimeError(f"the warm-up scans did not complete: {warm}")
        await asyncio.sleep(2.0)
        await fake_stats(fake + "/stats", reset=True)
        ai_pid = pids["ai"]
        idle_rss, idle_hwm = status_kib(ai_pid, "VmRSS"), status_kib(ai_pid, "VmHWM")
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        servers_before = server_cpu()

        load_before = os.getloadavg()[0]
        sampler = Sampler(ai_pid, pids)
        mark = sut.workdir / "followed"
        sampling = asyncio.create_task(sampler.run(mark))
        try:
            result = await sut.child(
                "load", [*load, "--scans", str(scans), "--mark", str(mark)], args.timeout + 120
            )
        finally:
            sampler.running = False
            await sampling
        end_hwm = status_kib(ai_pid, "VmHWM")
        stats = await fake_stats(fake + "/stats")
        processes.check_alive()
        measured = Measured(
            scans=scans,
            result=result,
            raw=raw,
            stats=stats,
            cpu={name: sampler.cpu[name] - cpu_before[name] for name in pids},
            servers={k: sampler.servers[k] - servers_before[k] for k in servers_before},
            idle_rss=idle_rss,
            peak_rss=max(sampler.peak_rss, end_hwm if end_hwm > idle_hwm else 0),
            load_before=load_before,
        )
        report(measured)
    return 0
