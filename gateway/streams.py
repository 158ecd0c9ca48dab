"""Long-lived streams (SSE, WebSockets): a cap per user and a budget per gateway instance.

A route that keeps a connection open takes a `Slot` before it answers and gives it back
when the stream ends:

    slot = gw.streams.open(caller.user_id)      # ApiError 429, or 503 past the budget
    try:
        ...stream...
    finally:
        slot.release()                          # idempotent

Past `stream_max_per_user` open streams of one user the answer is 429 (`rate_limited`,
with `Retry-After`); past `stream_max_open` streams of the whole instance it is 503. The
budget is also the size of the Redis pool the streams' blocking reads use
(`blocking_client`), so a stream never waits for, nor takes, a connection of the pool that
request handling uses. SSE scan events and the WebSocket use it; so must any new stream
route (chat streams included): `gw.streams.open(user_id)` before the response starts.

Counts are per gateway instance (in memory): behind N instances a user holds at most
N x the cap.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import Gauge

from gateway.errors import ApiError

OPEN = Gauge("eco2_gateway_streams_open", "Open long-lived streams (SSE and WebSockets)")
RETRY_AFTER = 5


class Slot:
    """One open stream of one user; `release` gives it back (any number of times)."""

    def __init__(self, streams: Streams, user_id: str) -> None:
        self._streams = streams
        self.user_id = user_id
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._streams._give_back(self.user_id)

    def hand_over(self) -> Slot:
        """A slot holding this one's place, which this one no longer releases (leaving a
        `with` block whose stream goes on elsewhere)."""
        if not self._held:
            raise RuntimeError("the slot was released")
        self._held = False
        return Slot(self._streams, self.user_id)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Streams:
    """Counts open streams per user and in all; refuses past either limit."""

    def __init__(self, *, per_user: int, total: int) -> None:
        self.per_user = per_user
        self.total = total
        self._open: Counter[str] = Counter()
        self._all = 0

    def open(self, user_id: str) -> Slot:
        if self._open[user_id] >= self.per_user:
            raise ApiError(
                429,
                "rate_limited",
                f"at most {self.per_user} open event streams per user; close one first",
                {"Retry-After": str(RETRY_AFTER)},
            )
        if self._all >= self.total:
            raise ApiError(
                503,
                "unavailable",
                "this server holds as many event streams as it can; try again soon",
                {"Retry-After": str(RETRY_AFTER)},
            )
        self._open[user_id] += 1
        self._all += 1
        OPEN.inc()
        return Slot(self, user_id)

    def count(self, user_id: str | None = None) -> int:
        return self._all if user_id is None else self._open[user_id]

    def _give_back(self, user_id: str) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]
        self._all -= 1
        OPEN.dec()


def blocking_client(redis: aioredis.Redis, size: int) -> aioredis.Redis:
    """A client of the same server as `redis` on a pool of its own, of `size` connections.

    Blocking reads (`XREAD BLOCK`) hold a connection for seconds; on this pool they never
    pin one of `redis`'s. It works for any client built by `from_url` (and for fakeredis,
    whose connection class and kwargs carry its in-process server).
    """
    pool = redis.connection_pool
    kwargs: dict[str, Any] = dict(pool.connection_kwargs)
    own = aioredis.ConnectionPool(
        connection_class=pool.connection_class, max_connections=size, **kwargs
    )
    return aioredis.Redis.from_pool(own)


async def close_blocking(client: aioredis.Redis) -> None:
    await client.aclose()  # and its pool, which `from_pool` handed it
