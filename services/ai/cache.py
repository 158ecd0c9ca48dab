"""A classification cache around any provider: the same prepared image with the same hint,
within the retention, reuses the earlier classification instead of asking the model again.

The key is `eco2:ai:classification:<sha256(content_hash + "\\0" + hint)>`. Redis being
unavailable only costs a model call: reads and writes that fail are logged and skipped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import redis.asyncio as aioredis
from pydantic import ValidationError

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan.v1 import Classification, Insufficiency
from services.ai.provider import Photo, Provider

log = logging.getLogger(__name__)

PREFIX = "eco2:ai:classification:"


def cache_key(content_hash: str, hint: str) -> str:
    digest = hashlib.sha256(f"{content_hash}\0{hint}".encode()).hexdigest()
    return PREFIX + digest


class CachedProvider:
    """`Provider` that remembers classifications in Redis for `ttl` seconds."""

    def __init__(self, inner: Provider, redis: aioredis.Redis, ttl: int) -> None:
        self._inner = inner
        self._redis = redis
        self._ttl = ttl

    @property
    def model(self) -> str:
        return self._inner.model

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        key = cache_key(photo.content_hash, hint)
        try:
            raw = await self._redis.get(key)
        except aioredis.RedisError as exc:
            log.warning("classification cache unavailable: %s", exc)
            raw = None
        if raw is not None:
            try:
                return Classification.model_validate_json(raw)
            except ValidationError:
                log.warning("dropping an unreadable cached classification %s", key)
        classification = await self._inner.classify(hint, photo, named)
        try:
            await self._redis.set(key, classification.model_dump_json(), ex=self._ttl)
        except aioredis.RedisError as exc:
            log.warning("could not cache a classification: %s", exc)
        return classification

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        return await self._inner.answer(classification, rules, insufficiencies, item)
