"""Nearby places: latency and throughput over HTTP and over the bus, against the same SQL
run directly with asyncpg, and the index against a full-scan distance query, in one run.

Loads `--places` synthetic places (default 100,000, spread over Seoul and Gyeonggi) into a
fresh database on the real PostgreSQL, then, in this process, for `--seconds` each with
`--concurrency` requests in flight, at random points (radius 2 km, 20 per page):

- direct: the nearby statement (`store.NEARBY`) on an asyncpg pool — the baseline;
- bus: `places.nearby` asked over a MemoryBus of the places service (`components.places`,
  real Redis: random points miss the cache, so this is the full path);
- http: `GET /api/v1/places` through the gateway (`components.gateway`) served by uvicorn
  on loopback, with the client in the same process (it shares the CPU with the server);
- full scan: the same answer computed without the index (`store.FULL_SCAN`).

Targets: bus and http >= 0.3 of direct throughput; the index >= 20x the full scan (p50).

    python -m bench.places [--places N] [--seconds S] [--concurrency C]
    python -m bench.places --places 10000 --seconds 2     # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import redis.asyncio as aioredis

from bus.memory import MemoryBroker, MemoryBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.places.v1 import Nearby
from objects import LocalObjectStore
from services.places.importers import Imported
from services.places.importing import write
from services.places.store import FULL_SCAN, NEARBY
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.databases import fresh_database
from support.env import POSTGRES_URL as POSTGRES
from support.places import BOX, synthetic_places
from support.servers import serve

REDIS = "redis://127.0.0.1:6379/14"
RADIUS = 2000
LIMIT = 20


def point(rng: random.Random) -> tuple[float, float]:
    return round(rng.uniform(*BOX[0]), 5), round(rng.uniform(*BOX[1]), 5)


async def measure(
    name: str,
    call: Callable[[tuple[float, float]], Awaitable[object]],
    seconds: float,
    concurrency: int,
) -> dict[str, float]:
    rng = random.Random(name)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call(point(rng))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def sql_args(at: tuple[float, float]) -> tuple[object, ...]:
    return (at[0], at[1], float(RADIUS), None, None, -1.0, 0, LIMIT + 1)


async def main(places: int, seconds: float, concurrency: int) -> None:
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(
            fresh_database(POSTGRES, "eco2_bench_places", [("places", "services.places")])
        )
        print(f"loading {places:,} places …", flush=True)
        loaded = time.perf_counter()
        results = [
            Imported(line=n + 2, place=s.place) for n, s in enumerate(synthetic_places(places))
        ]
        await write(url, "keco", results)
        print(f"loaded in {time.perf_counter() - loaded:.1f} s", flush=True)

        db = await asyncpg.create_pool(url, min_size=2, max_size=max(4, concurrency))
        stack.push_async_callback(db.close)
        await db.execute("ANALYZE places.places")
        redis = aioredis.from_url(REDIS)
        stack.push_async_callback(redis.aclose)
        registry = build_registry()
        broker = MemoryBroker()
        settings = load_settings(database_url=url, redis_url=REDIS, jwt_secret="b" * 40)
        objects = LocalObjectStore(Path("/tmp") / "eco2-bench-objects")
        service_bus = MemoryBus(registry, broker=broker, request_timeout=30)
        service = Resources(settings, registry, service_bus, url, db, redis, objects)
        for subscription in await components.places(service, stack):
            service_bus.subscribe(subscription)
        await service_bus.start()
        stack.push_async_callback(service_bus.close)
        gateway_bus = MemoryBus(registry, broker=broker, request_timeout=30)
        front = Resources(settings, registry, gateway_bus, "", cast(Any, None), redis, objects)
        app, subscriptions = components.gateway(front)
        for subscription in subscriptions:
            gateway_bus.subscribe(subscription)
        await gateway_bus.start()
        stack.push_async_callback(gateway_bus.close)
        host = await stack.enter_async_context(serve(app))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"http://{host}", limits=limits, timeout=30)
        )

        async def direct(at: tuple[float, float]) -> object:
            return await db.fetch(NEARBY, *sql_args(at))

        async def full_scan(at: tuple[float, float]) -> object:
            return await db.fetch(FULL_SCAN, *sql_args(at))

        async def bus(at: tuple[float, float]) -> object:
            query = Nearby(lat=at[0], lon=at[1], radius=RADIUS, limit=LIMIT)
            return await gateway_bus.request(new_envelope(query), timeout=30)

        async def http(at: tuple[float, float]) -> object:
            params = {"lat": at[0], "lon": at[1], "radius": RADIUS, "limit": LIMIT}
            response = await client.get("/api/v1/places", params=params)
            response.raise_for_status()
            return response

        indexed = await db.fetch(NEARBY, *sql_args((37.5, 127.0)))
        scanned = await db.fetch(FULL_SCAN, *sql_args((37.5, 127.0)))
        assert [r["id"] for r in indexed] == [r["id"] for r in scanned], "the same answer"
        await measure("warm-up", http, 0.5, concurrency)
        figures = {
            "direct": await measure("direct", direct, seconds, concurrency),
            "bus": await measure("bus", bus, seconds, concurrency),
            "http": await measure("http", http, seconds, concurrency),
            "full scan": await measure("full scan", full_scan, seconds, concurrency),
        }

    print(
        f"\nnearby, {places:,} places, radius {RADIUS} m, {LIMIT} per page, "
        f"{concurrency} in flight, {seconds:g} s each"
    )
    print(f"{'target':<10} {'requests':>9} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8}  ratio")
    base = figures["direct"]["per_s"]
    for name, f in figures.items():
        print(
            f"{name:<10} {f['requests']:>9.0f} {f['per_s']:>9.1f} {f['p50_ms']:>8.2f} "
            f"{f['p99_ms']:>8.2f}  {f['per_s'] / base:.2f} of direct"
        )
    index_win = figures["full scan"]["p50_ms"] / figures["direct"]["p50_ms"]
    print(f"\nindex vs full scan (p50): {index_win:.1f}x (target >= 20x at 100,000 places)")
    for name in ("bus", "http"):
        ratio = figures[name]["per_s"] / base
        print(f"{name} throughput / direct: {ratio:.2f} (target >= 0.3)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.places, args.seconds, args.concurrency))
