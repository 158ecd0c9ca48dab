"""Gateway throughput and latency against a plain Starlette JSON route, in one run.

Starts, as separate processes on real RabbitMQ, PostgreSQL and Redis: the accounts
service (`eco2 run accounts`), the gateway (`eco2 run gateway`) and a plain Starlette app
served by uvicorn with the gateway's server settings. A load process then keeps
`--connections` requests in flight against each target for `--seconds`:

- `/healthz` of the gateway                       (target >= 0.7 of plain)
- authenticated `GET /api/v1/users/me`, answered by the accounts service over the bus
  by request/reply                                (target >= 0.25 of plain, p99 <= 25 ms)
- the plain route, the baseline

    python -m bench.gateway run [--seconds S] [--connections C] [--rounds R]

The other sub-commands are the processes `run` starts: `plain` (the baseline server) and
`load` (the load on one URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.users import register
from support.databases import fresh_database
from support.env import ECO2, POSTGRES_URL, RABBIT_URL, redis_db
from support.processes import Processes
from support.servers import free_port, wait_http

REDIS = redis_db(14)


# --- the baseline server -----------------------------------------------------------------


def serve_plain(port: int) -> None:
    """A plain Starlette JSON route under the gateway's uvicorn settings."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def plain(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/plain", plain)])
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


# --- the load process --------------------------------------------------------------------


async def _load(url: str, token: str | None, connections: int, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one_connection() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors,
        "requests": len(latencies),
    }


async def measure(url: str, token: str | None, connections: int, seconds: float) -> dict[str, Any]:
    """Run the load in its own process, so it does not share the event loop being measured."""
    args = [sys.executable, "-m", "bench.gateway", "load", url, "--connections", str(connections)]
    args += ["--seconds", str(seconds)] + (["--token", token] if token else [])
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    result: dict[str, Any] = json.loads(out)
    return result


# --- the system under test ---------------------------------------------------------------


async def _token(base: str) -> str:
    """A registered user's token, checked once on the route the benchmark loads."""
    (token,) = await register(base, 1)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        if response.status != 200:
            raise RuntimeError(f"users/me failed: {response.status} {await response.text()}")
    return token


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="eco2-bench-gateway-"))
    processes = Processes(workdir)
    async with fresh_database(POSTGRES_URL, "eco2_bench_gateway") as database:
        try:
            await measure_all(args, workdir, processes, database)
        finally:
            await processes.stop(["gateway"])
    shutil.rmtree(workdir, ignore_errors=True)


async def measure_all(
    args: argparse.Namespace, workdir: Path, processes: Processes, database: str
) -> None:
    gateway_port, plain_port = free_port(), free_port()
    env = {
        "ECO2_BUS_URL": RABBIT_URL,
        "ECO2_DATABASE_URL": database,
        "ECO2_REDIS_URL": REDIS,
        "ECO2_DATA_DIR": str(workdir),
        "ECO2_JWT_SECRET": uuid.uuid4().hex * 2,
        "ECO2_HTTP_PORT": str(gateway_port),
        "ECO2_LOG_LEVEL": "WARNING",
        # Every bench user registers from this one address.
        "ECO2_REGISTRATION_MAX_PER_CLIENT": "1000000",
    }
    await processes.run("migrate", [ECO2, "migrate"], env, 120)
    await processes.spawn("accounts", [ECO2, "run", "accounts"], env)
    await processes.spawn("gateway", [ECO2, "run", "gateway"], env)
    plain_server = [sys.executable, "-m", "bench.gateway", "plain", str(plain_port)]
    await processes.spawn("plain", plain_server, {})
    base = f"http://127.0.0.1:{gateway_port}"
    await wait_http(f"{base}/healthz", check=processes.check_alive)
    await wait_http(f"http://127.0.0.1:{plain_port}/plain", check=processes.check_alive)
    token = await _token(base)
    targets = {
        "plain": (f"http://127.0.0.1:{plain_port}/plain", None),
        "healthz": (f"{base}/healthz", None),
        "users/me": (f"{base}/api/v1/users/me", token),
    }
    for url, auth in targets.values():  # warm up every path
        await measure(url, auth, args.connections, 1.0)
    print(f"connections: {args.connections}, seconds per measurement: {args.seconds}")
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for round_ in range(1, args.rounds + 1):
        for name, (url, auth) in targets.items():
            result = await measure(url, auth, args.connections, args.seconds)
            results[name].append(result)
            print(
                f"round {round_} {name:9s} {result['rate']:7.0f} req/s  "
                f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
                f"errors {result['errors']}"
            )
    plain = statistics.median(r["rate"] for r in results["plain"])
    for name, target in (("healthz", 0.7), ("users/me", 0.25)):
        rate = statistics.median(r["rate"] for r in results[name])
        p99 = statistics.median(r["p99"] for r in results[name])
        print(
            f"{name:9s} ratio to plain {rate / plain:.2f} (target >= {target})"
            f"  median p99 {p99:.1f} ms"
        )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gateway", description=(__doc__ or "").splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="the whole benchmark (starts everything below)")
    run.add_argument("--seconds", type=float, default=5.0)
    run.add_argument("--connections", type=int, default=64)
    run.add_argument("--rounds", type=int, default=3)
    plain = commands.add_parser("plain", help="serve the plain baseline route")
    plain.add_argument("port", type=int)
    load = commands.add_parser("load", help="keep requests in flight against one URL")
    load.add_argument("url")
    load.add_argument("--connections", type=int, required=True)
    load.add_argument("--seconds", type=float, required=True)
    load.add_argument("--token", help="a bearer token to send")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.command == "plain":
        serve_plain(options.port)
    elif options.command == "load":
        result = _load(options.url, options.token, options.connections, options.seconds)
        print(json.dumps(asyncio.run(result)))
    else:
        asyncio.run(main(options))
