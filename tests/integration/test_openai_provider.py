"""The `openai` provider against a local fake OpenAI-compatible server over real HTTP:
structured output, Retry-After, timeouts, malformed output, and the shared concurrency limit
of two provider instances (two worker replicas) on one Redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from contracts.recycling.v1 import Item
from contracts.scan.v1 import Classification
from services.ai.limiter import Limiter, LocalLimiter, RedisLimiter
from services.ai.openai_provider import OpenAIProvider
from services.ai.provider import BadModelOutput, Photo, ProviderError
from support import images
from support.fake_openai import CLASSIFICATION, FakeOpenAI
from support.servers import serve_fake


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with serve_fake(FakeOpenAI(), "/v1") as fake:
        yield fake


def provider(server: FakeOpenAI, limiter: Limiter | None = None, **options: Any) -> OpenAIProvider:
    return OpenAIProvider(
        base_url=server.base,
        api_key=None,
        model="fake-vision",
        limiter=limiter or LocalLimiter(max_requests=1000, max_concurrency=8),
        **{"timeout": 5.0, "max_retries": 2, **options},
    )


PHOTO_BYTES = images.jpeg(32, 24)


async def _photo() -> bytes:
    return PHOTO_BYTES


PHOTO = Photo("d" * 64, _photo)
WATER_BOTTLE = Item(
    id="water-bottle",
    ko="생수병",
    en="water bottle",
    major="재활용폐기물",
    middle="무색페트병",
    label="clear PET bottles",
    notes="라벨을 떼고 내용물을 비운 뒤 찌그러뜨려 뚜껑을 닫아 배출합니다.",
    matched="생수병",
)


async def test_a_photo_is_classified_with_structured_output(server: FakeOpenAI) -> None:
    ai = provider(server)
    try:
        result = await ai.classify("생수병", PHOTO, (WATER_BOTTLE,))
        answer = await ai.answer(result, None, (), WATER_BOTTLE)
    finally:
        await ai.aclose()
    assert result == Classification.model_validate(CLASSIFICATION)
    assert answer.startswith("이코")
    vision = server.requests[0]
    assert vision["model"] == "fake-vision"
    assert vision["response_format"]["type"] == "json_schema"
    assert vision["response_format"]["json_schema"]["strict"] is True
    image = vision["messages"][1]["content"][1]["image_url"]
    assert image["detail"] == "low"
    assert image["url"].startswith("data:image/jpeg;base64,/9j/")
    assert server.requests[1]["messages"][0]["role"] == "system"
    assert "이코" in server.requests[1]["messages"][0]["content"]
    # The dictionary's entry goes along to both calls, its notes to the answer.
    hint = vision["messages"][1]["content"][0]["text"]
    assert "Dictionary entries the hint names" in hint
    assert WATER_BOTTLE.ko in hint
    facts = server.requests[1]["messages"][1]["content"]
    assert "품목 사전" in facts
    assert WATER_BOTTLE.notes is not None
    assert WATER_BOTTLE.notes in facts


async def test_a_429_is_retried_after_its_retry_after(server: FakeOpenAI) -> None:
    server.script = [("429", 0.5)]
    ai = provider(server)
    started = time.monotonic()
    try:
        result = await ai.classify("", PHOTO, ())
    finally:
        await ai.aclose()
    assert result.middle == "무색페트병"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.5


async def test_a_server_past_the_timeout_is_a_provider_error(server: FakeOpenAI) -> None:
    server.script = [("sleep", 1.0), ("sleep", 1.0)]
    ai = provider(server, timeout=0.2, max_retries=1)
    try:
        with pytest.raises(ProviderError, match="Timeout"):
            await ai.classify("", PHOTO, ())
    finally:
        await ai.aclose()
    assert len(server.requests) == 2, "the SDK retried once"


async def test_retries_run_out_on_a_persistent_429(server: FakeOpenAI) -> None:
    server.script = [("429", 0.01)] * 3
    ai = provider(server, max_retries=2)
    try:
        with pytest.raises(ProviderError, match="RateLimitError"):
            await ai.classify("", PHOTO, ())
    finally:
        await ai.aclose()
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({**CLASSIFICATION, "middle": "우주쓰레기"}),
        json.dumps({**CLASSIFICATION, "major": "음식물류폐기물"}),  # a middle of another major
        json.dumps({**CLASSIFICATION, "situation_tags": ["sparkly"]}),
    ],
)
async def test_malformed_output_is_bad_model_output_after_bounded_retries(
    server: FakeOpenAI, content: str
) -> None:
    server.script = [("content", content)] * 3
    ai = provider(server, output_retries=2)
    try:
        with pytest.raises(BadModelOutput):
            await ai.classify("", PHOTO, ())
    finally:
        await ai.aclose()
    assert len(server.requests) == 3


async def test_one_malformed_output_then_a_good_one_succeeds(server: FakeOpenAI) -> None:
    server.script = [("content", "I think it is a bottle")]
    ai = provider(server)
    try:
        assert (await ai.classify("", PHOTO, ())).middle == "무색페트병"
    finally:
        await ai.aclose()


@pytest.mark.redis
async def test_two_instances_sharing_redis_stay_under_the_concurrency_limit(
    server: FakeOpenAI, redis_url: str
) -> None:
    server.vision_latency = 0.1
    redis = aioredis.from_url(redis_url)
    prefix = f"eco2:test:openai:{uuid.uuid4().hex}"

    def replica() -> OpenAIProvider:
        limiter = RedisLimiter(redis, prefix, max_requests=1000, max_concurrency=2, poll=0.01)
        return provider(server, limiter)

    first, second = replica(), replica()
    try:
        await asyncio.gather(*(ai.classify("", PHOTO, ()) for ai in [first, second] * 5))
    finally:
        await first.aclose()
        await second.aclose()
        await redis.aclose()
    assert len(server.requests) == 10
    assert server.peak == 2


class CountingLimiter(LocalLimiter):
    def __init__(self) -> None:
        super().__init__(max_requests=1000, max_concurrency=8)
        self.throttled = 0

    async def throttle(self) -> None:
        self.throttled += 1
        await super().throttle()


async def test_every_http_attempt_counts_against_the_rate(server: FakeOpenAI) -> None:
    server.script = [("429", 0.01)]
    limiter = CountingLimiter()
    ai = provider(server, limiter)
    try:
        await ai.classify("", PHOTO, ())
    finally:
        await ai.aclose()
    assert limiter.throttled == 2, "the SDK's retry waited for the shared rate too"
