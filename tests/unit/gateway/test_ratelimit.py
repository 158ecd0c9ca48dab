"""Login throttling: per email and per client, with the seconds left as Retry-After."""

from __future__ import annotations

import fakeredis
import pytest

from gateway.errors import ApiError
from gateway.ratelimit import LoginLimiter


async def test_failures_per_email_are_limited_and_a_success_clears_them() -> None:
    redis = fakeredis.FakeAsyncRedis()
    limiter = LoginLimiter(redis, per_email=3, per_client=100, window=60)
    for _ in range(3):
        await limiter.check("Kim@Example.com", "10.0.0.1")
        await limiter.failed("Kim@Example.com", "10.0.0.1")
    with pytest.raises(ApiError) as caught:
        await limiter.check("kim@example.com ", "10.0.0.2")
    assert caught.value.status == 429
    assert caught.value.headers is not None
    assert 0 < int(caught.value.headers["Retry-After"]) <= 60
    await limiter.check("other@example.com", "10.0.0.1")
    await limiter.succeeded("kim@example.com")
    await limiter.check("kim@example.com", "10.0.0.1")
    await redis.aclose()


async def test_failures_per_client_are_limited_across_emails() -> None:
    redis = fakeredis.FakeAsyncRedis()
    limiter = LoginLimiter(redis, per_email=100, per_client=2, window=60)
    await limiter.failed("a@example.com", "10.0.0.9")
    await limiter.failed("b@example.com", "10.0.0.9")
    with pytest.raises(ApiError):
        await limiter.check("c@example.com", "10.0.0.9")
    await limiter.check("c@example.com", "10.0.0.10")
    assert 0 < await redis.ttl("eco2:login:failures:client:10.0.0.9") <= 60
    await redis.aclose()
