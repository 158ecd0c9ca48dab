"""The classification cache: the same prepared image and hint ask the model once."""

from __future__ import annotations

from collections.abc import Sequence

import fakeredis
import pytest

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan.v1 import Classification, Insufficiency
from services.ai.cache import CachedProvider, cache_key
from services.ai.provider import Photo

HASH_A, HASH_B = "a" * 64, "b" * 64
MIDDLES = {"우유팩": "종이팩", "유리병": "유리병", "캔": "금속류"}


class Counting:
    """A provider that counts its vision calls."""

    model = "counting"

    def __init__(self) -> None:
        self.calls = 0

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        self.calls += 1
        return Classification(major="재활용폐기물", middle=MIDDLES[hint], minor=hint)

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        return "answer"


async def _no_image() -> bytes:
    raise AssertionError("not needed")


@pytest.fixture
def redis() -> fakeredis.FakeAsyncRedis:
    return fakeredis.FakeAsyncRedis()


async def test_the_same_image_and_hint_reuse_the_classification(
    redis: fakeredis.FakeAsyncRedis,
) -> None:
    inner = Counting()
    cached = CachedProvider(inner, redis, ttl=60)
    first = await cached.classify("우유팩", Photo(HASH_A, _no_image), ())
    again = await cached.classify("우유팩", Photo(HASH_A, _no_image), ())
    assert first == again
    assert inner.calls == 1
    assert cached.model == "counting"

    await cached.classify("유리병", Photo(HASH_A, _no_image), ())  # another hint
    await cached.classify("우유팩", Photo(HASH_B, _no_image), ())  # another image
    assert inner.calls == 3


async def test_entries_expire_with_the_retention(redis: fakeredis.FakeAsyncRedis) -> None:
    cached = CachedProvider(Counting(), redis, ttl=3600)
    await cached.classify("캔", Photo(HASH_A, _no_image), ())
    key = cache_key(HASH_A, "캔")
    assert key.startswith("eco2:ai:classification:")
    assert len(key) == 23 + 64
    assert 3500 < await redis.ttl(key) <= 3600


async def test_an_unreadable_entry_is_recomputed(redis: fakeredis.FakeAsyncRedis) -> None:
    inner = Counting()
    await redis.set(cache_key(HASH_A, "캔"), b"{not json")
    result = await CachedProvider(inner, redis, ttl=60).classify("캔", Photo(HASH_A, _no_image), ())
    assert result.middle == "금속류"
    assert inner.calls == 1
