"""The per-resource event log behind SSE: one Redis stream per scan and per chat reply,
written once per event.

Keys (all expire after the retention), `<resource>` being `scan` or `reply`:
- `eco2:events:<resource>:<id>`: a stream, `XADD MAXLEN ~ n`; each entry holds the message
  `type`, message `id`, owner `user` and the payload JSON `data`. The stream id is the
  SSE `id:`, so `Last-Event-ID` resumes exactly after the last event a client saw.
- `eco2:events:owner:<resource>:<id>`: the user the first event named, or the one the
  resource was announced for (`expect`: a reply the moment its message is accepted, so
  its stream is followed before its first event exists); others get 404.
- `eco2:events:parent:<resource>:<id>`: what the announced resource belongs to (a reply's
  chat), so the stream is refused under another parent before any event is there.
- `eco2:events:seen:<message_id>`: written in the same transaction as the entry
  (WATCH/MULTI), so a redelivered or twice-published event is appended once.
- `eco2:events:user:<user_id>`: a set of the user's resources (`scan:<id>`), so that
  `erase_user` (on `user.deleted`) removes every log of theirs.

`read` blocks (XREAD BLOCK) on the `blocking` client, whose pool is not the one request
handling uses (see `gateway.streams`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
TERMINAL = frozenset(
    {"scan.completed", "scan.failed", "chat.completed", "chat.incomplete", "chat.failed"}
)


@dataclass(frozen=True)
class Entry:
    stream_id: str
    type: str
    message_id: str
    user_id: str
    data: dict[str, Any]

    @property
    def event(self) -> str:
        """The SSE event name: the type's last segment (`scan.progress` -> `progress`)."""
        return self.type.rsplit(".", 1)[-1]

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL


def stream_key(resource: str, ident: str) -> str:
    return f"eco2:events:{resource}:{ident}"


def owner_key(resource: str, ident: str) -> str:
    return f"eco2:events:owner:{resource}:{ident}"


def parent_key(resource: str, ident: str) -> str:
    return f"eco2:events:parent:{resource}:{ident}"


def seen_key(message_id: str) -> str:
    return f"eco2:events:seen:{message_id}"


def user_key(user_id: str) -> str:
    return f"eco2:events:user:{user_id}"


class EventLog:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        retention: int,
        max_len: int,
        blocking: aioredis.Redis | None = None,
    ) -> None:
        self._redis = redis
        # Blocking reads go to a pool of their own (`gateway.streams.blocking_client`).
        self._blocking = blocking if blocking is not None else redis
        self._retention = retention
        self._max_len = max_len

    async def append(
        self,
        resource: str,
        ident: str,
        *,
        owner: str,
        message_id: str,
        message_type: str,
        payload: dict[str, Any],
    ) -> bool:
        """Append one event unless its message id was appended before; whether it was."""
        seen = seen_key(message_id)
        fields = {
            "type": message_type,
            "id": message_id,
            "user": owner,
            "data": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(seen)
                    if await pipe.exists(seen):
                        return False
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(seen, "1", ex=self._retention)
                    pipe.set(owner_key(resource, ident), owner, nx=True)
                    pipe.expire(owner_key(resource, ident), self._retention)
                    stream = stream_key(resource, ident)
                    pipe.xadd(stream, fields, maxlen=self._max_len, approximate=True)  # type: ignore[arg-type]
                    pipe.expire(stream, self._retention)
                    pipe.sadd(user_key(owner), f"{resource}:{ident}")
                    pipe.expire(user_key(owner), self._retention)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    async def erase_user(self, user_id: str) -> int:
        """Delete every log of `user_id`'s resources (their owner and parent keys too);
        how many."""
        members: Any = await self._redis.smembers(user_key(user_id))
        keys = [user_key(user_id)]
        for member in members:
            resource, _, ident = _text(member).partition(":")
            keys += [stream_key(resource, ident), owner_key(resource, ident)]
            keys.append(parent_key(resource, ident))
        await self._redis.delete(*keys)
        return len(members)

    async def expect(self, resource: str, ident: str, *, owner: str, parent: str) -> None:
        """Announce a resource whose events are coming: owned by `owner`, under `parent`
        (kept if the first event, or an earlier announcement, named them already)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(owner_key(resource, ident), owner, nx=True, ex=self._retention)
            pipe.set(parent_key(resource, ident), parent, nx=True, ex=self._retention)
            pipe.sadd(user_key(owner), f"{resource}:{ident}")
            pipe.expire(user_key(owner), self._retention)
            await pipe.execute()

    async def parent(self, resource: str, ident: str) -> str | None:
        value = await self._redis.get(parent_key(resource, ident))
        return _text(value) if value is not None else None

    async def owner(self, resource: str, ident: str) -> str | None:
        value = await self._redis.get(owner_key(resource, ident))
        return _text(value) if value is not None else None

    async def get(self, resource: str, ident: str, stream_id: str) -> Entry | None:
        items: Any = await self._redis.xrange(stream_key(resource, ident), stream_id, stream_id)
        return _entry(items[0][0], items[0][1]) if items else None

    async def first(self, resource: str, ident: str) -> Entry | None:
        items: Any = await self._redis.xrange(stream_key(resource, ident), count=1)
        return _entry(items[0][0], items[0][1]) if items else None

    async def history(self, resource: str, ident: str) -> list[Entry]:
        """Every entry kept for the resource, oldest first, without waiting."""
        items: Any = await self._redis.xrange(stream_key(resource, ident), count=self._max_len * 2)
        return [_entry(stream_id, fields) for stream_id, fields in items]

    async def read(
        self, resource: str, ident: str, after: str, *, block: float, count: int = 100
    ) -> list[Entry]:
        """Entries after stream id `after` ("0-0" for all), waiting up to `block` seconds."""
        stream = stream_key(resource, ident)
        answer: Any = await self._blocking.xread(
            {stream: after}, count=count, block=max(1, int(block * 1000))
        )
        entries = []
        for _, items in answer or []:
            for stream_id, fields in items:
                entries.append(_entry(stream_id, fields))
        return entries


def _entry(stream_id: Any, fields: dict[Any, Any]) -> Entry:
    values = {_text(k): _text(v) for k, v in fields.items()}
    try:
        data = json.loads(values.get("data", "{}"))
    except ValueError:
        data = {}
    return Entry(
        _text(stream_id),
        values.get("type", ""),
        values.get("id", ""),
        values.get("user", ""),
        data if isinstance(data, dict) else {},
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
