"""Limits on model calls shared by every AI worker replica, so the fleet as a whole stays under
the provider's request rate and concurrency.

- Rate: a sliding window log in a Redis sorted set; a Lua script drops entries older than the
  window (a minute), and admits the request if fewer than the limit remain (else says how
  long to wait).
- Concurrency: a semaphore as a sorted set of holders scored by their lease expiry. A holder
  renews its lease while it works, so a crashed worker's slot frees itself when it expires.

Both scripts read the clock with Redis `TIME`, so replicas need no synchronised clocks.
`LocalLimiter` is the single-process equivalent, for the in-process Redis of `eco2 up`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


class Limiter(Protocol):
    async def throttle(self) -> None:
        """Wait until one more request fits the shared request rate, and count it."""

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Hold one of the shared concurrent-call slots for the body of the `async with`."""


class RedisLimiter:
    """`Limiter` over Redis, shared by every process using the same `prefix`."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        *,
        max_requests: int,
        max_concurrency: int,
        lease: float = 30.0,
        window: float = 60.0,
        poll: float = 0.05,
    ) -> None:
        self._redis = redis
        self._rate_key = f"{prefix}:rate"
        self._slots_key = f"{prefix}:slots"
        self._max_requests = max_requests
        self._concurrency = max_concurrency
        self._lease_ms = int(lease * 1000)
        self._window_ms = int(window * 1000)
        self._poll = poll
        self._admit = redis.register_script(_ADMIT)
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)

    async def throttle(self) -> None:
        member = uuid.uuid4().hex
        while True:
            wait_ms = int(
                await self._admit([self._rate_key], [self._max_requests, self._window_ms, member])
            )
            if wait_ms == 0:
                return
            await asyncio.sleep(wait_ms / 1000 + random.uniform(0, self._poll))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        token = uuid.uuid4().hex
        args: list[str | int] = [self._concurrency, self._lease_ms, token]
        # Polling with jitter: the holders are in other processes, so no local event can
        # say when a slot frees.
        while not await self._acquire([self._slots_key], args):  # noqa: ASYNC110
            await asyncio.sleep(random.uniform(self._poll / 2, self._poll * 1.5))
        renewing = asyncio.create_task(self._keep(token))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self._redis.zrem(self._slots_key, token)

    async def _keep(self, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                if not await self._renew([self._slots_key], [self._lease_ms, token]):
                    log.warning("lost the lease of a model-call slot; the limit may be exceeded")
                    return
            except aioredis.RedisError as exc:
                log.warning("could not renew a model-call slot: %s", exc)


class LocalLimiter:
    """`Limiter` for one process (no Redis server): an asyncio semaphore and a window log."""

    def __init__(self, *, max_requests: int, max_concurrency: int, window: float = 60.0) -> None:
        self._max_requests = max_requests
        self._window = window
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(max_concurrency)

    async def throttle(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self._window:
                    self._sent.popleft()
                if len(self._sent) < self._max_requests:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + self._window - now)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            yield
