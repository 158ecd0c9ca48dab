"""The model-call limits: a shared sliding-window rate and a shared semaphore with leases
(on a real Redis, as two replicas would share it), and the single-process equivalent."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from services.ai.limiter import Limiter, LocalLimiter, RedisLimiter


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"eco2:test:limit:{uuid.uuid4().hex}"


async def _peak(limiters: list[Limiter], calls: int, hold: float) -> int:
    """The most calls that held a slot at once, over `calls` calls spread over `limiters`."""
    active = peak = 0

    async def call(limiter: Limiter) -> None:
        nonlocal active, peak
        async with limiter.slot():
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(hold)
            active -= 1

    await asyncio.gather(*(call(limiters[i % len(limiters)]) for i in range(calls)))
    return peak


async def _rate(limiters: list[Limiter], calls: int) -> list[float]:
    started = time.monotonic()

    async def call(limiter: Limiter) -> float:
        await limiter.throttle()
        return time.monotonic() - started

    return sorted(await asyncio.gather(*(call(limiters[i % 2]) for i in range(calls))))


@pytest.mark.redis
async def test_replicas_share_one_request_rate(redis: aioredis.Redis, prefix: str) -> None:
    def make() -> Limiter:
        return RedisLimiter(redis, prefix, max_requests=3, max_concurrency=10, window=0.6)

    admitted = await _rate([make(), make()], 5)
    assert all(t < 0.2 for t in admitted[:3]), admitted
    assert all(t >= 0.5 for t in admitted[3:]), "the 4th and 5th waited for the window"


@pytest.mark.redis
async def test_replicas_share_one_concurrency_limit(redis: aioredis.Redis, prefix: str) -> None:
    def make() -> Limiter:
        return RedisLimiter(redis, prefix, max_requests=1000, max_concurrency=2, poll=0.01)

    assert await _peak([make(), make(), make()], calls=12, hold=0.05) == 2
    assert await redis.zcard(f"{prefix}:slots") == 0, "every slot was given back"


@pytest.mark.redis
async def test_a_crashed_holders_slot_frees_itself_when_its_lease_expires(
    redis: aioredis.Redis, prefix: str
) -> None:
    seconds, micros = await redis.time()
    now_ms = seconds * 1000 + micros // 1000
    await redis.zadd(f"{prefix}:slots", {"crashed-worker": now_ms + 400})  # never released
    limiter = RedisLimiter(redis, prefix, max_requests=100, max_concurrency=1, poll=0.01)
    started = time.monotonic()
    async with limiter.slot():
        waited = time.monotonic() - started
    assert 0.3 <= waited < 2.0


@pytest.mark.redis
async def test_a_live_holder_renews_its_lease(redis: aioredis.Redis, prefix: str) -> None:
    def make() -> RedisLimiter:
        return RedisLimiter(redis, prefix, max_requests=100, max_concurrency=1, lease=0.3)

    holder, other = make(), make()
    order: list[str] = []

    async def hold() -> None:
        async with holder.slot():
            order.append("holder in")
            await asyncio.sleep(1.0)  # three leases long
            order.append("holder out")

    async def wait() -> None:
        await asyncio.sleep(0.1)
        async with other.slot():
            order.append("other in")

    await asyncio.gather(hold(), wait())
    assert order == ["holder in", "holder out", "other in"]


@pytest.mark.parametrize(
    "make",
    [lambda: LocalLimiter(max_requests=3, max_concurrency=2, window=0.6)],
)
async def test_the_local_limiter_has_the_same_semantics(make: Callable[[], Limiter]) -> None:
    limiter = make()
    admitted = await _rate([limiter, limiter], 5)
    assert all(t < 0.2 for t in admitted[:3])
    assert all(t >= 0.5 for t in admitted[3:])
    assert await _peak([limiter], calls=8, hold=0.02) == 2
