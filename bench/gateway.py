"""Gateway throughput and latency against a plain Starlette JSON route, in one run.

Starts, as separate processes on real RabbitMQ, PostgreSQL and Redis: the accounts
service (`eco2 run accounts`), the gateway (`eco2 run gateway`) and a plain Starlette app
served by uvicorn with the gateway's server settings. A load process then keeps
`--connections` requests in flight against each target for `--seconds`:

- `/healthz` of the gateway                       (target >= 0.7 of plain)
- authenticated `GET /api/v1/users/me`, answered by the accounts service over the bus
  by request/reply                                (target >= 0.25 of plain, p99 <= 25 ms)
- the plain route, the baseline

    python bench/gateway.py [--seconds S] [--connections C] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: keep this folder from shadowing the project packages
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import aiohttp
import asyncpg

from bench.servers import ECO2, POSTGRES, RABBIT, ROOT, free_port

REDIS = os.environ.get("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
BENCH_DB = "eco2_bench"


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
    args = [sys.executable, __file__, "--load", url, "--connections", str(connections)]
    args += ["--seconds", str(seconds)] + (["--token", token] if token else [])
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    result: dict[str, Any] = json.loads(out)
    return result


# --- the system under test ---------------------------------------------------------------


async def _fresh_database() -> str:
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await admin.close()
    return POSTGRES.rsplit("/", 1)[0] + f"/{BENCH_DB}"


async def _spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            *args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


async def _wait_http(url: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout), aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def _token(base: str) -> str:
    body = {"email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "password": "bench pass 123"}
    body["nickname"] = "bench"
    async with aiohttp.ClientSession() as session:
        for _ in range(6):  # 503 while the accounts service is still starting
            async with session.post(f"{base}/api/v1/auth/register", json=body) as response:
                answer = await response.json()
                if response.status != 503:
                    break
        if response.status != 201:
            raise RuntimeError(f"register failed: {response.status} {answer}")
        token: str = answer["access_token"]
        async with session.get(
            f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"users/me failed: {response.status} {await response.text()}")
    return token


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="eco2-bench-gateway-"))
    database = await _fresh_database()
    gateway_port, plain_port = free_port(), free_port()
    env = {
        "ECO2_BUS_URL": RABBIT,
        "ECO2_DATABASE_URL": database,
        "ECO2_REDIS_URL": REDIS,
        "ECO2_DATA_DIR": str(workdir),
        "ECO2_JWT_SECRET": uuid.uuid4().hex * 2,
        "ECO2_HTTP_PORT": str(gateway_port),
        "ECO2_LOG_LEVEL": "WARNING",
    }
    migrate = await _spawn([ECO2, "migrate"], env, workdir / "migrate.log")
    if await migrate.wait() != 0:
        raise RuntimeError((workdir / "migrate.log").read_text())
    processes = [
        await _spawn([ECO2, "run", "accounts"], env, workdir / "accounts.log"),
        await _spawn([ECO2, "run", "gateway"], env, workdir / "gateway.log"),
        await _spawn(
            [sys.executable, __file__, "--serve-plain", str(plain_port)], {}, workdir / "plain.log"
        ),
    ]
    try:
        base = f"http://127.0.0.1:{gateway_port}"
        await _wait_http(f"{base}/healthz")
        await _wait_http(f"http://127.0.0.1:{plain_port}/plain")
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
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-plain", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.serve_plain:
        serve_plain(options.serve_plain)
    elif options.load:
        print(
            json.dumps(
                asyncio.run(
                    _load(options.load, options.token, options.connections, options.seconds)
                )
            )
        )
    else:
        asyncio.run(main(options))
