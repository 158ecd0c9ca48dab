"""Sign-in and registration throttles: reserved before the work, per pair, client and email."""

from __future__ import annotations

import asyncio

import fakeredis
import pytest

from gateway.errors import ApiError
from gateway.ratelimit import LoginLimiter, RegistrationLimiter


def limiter(
    redis: fakeredis.FakeAsyncRedis, *, pair: int = 3, client: int = 100, email: int = 100
) -> LoginLimiter:
    return LoginLimiter(redis, per_pair=pair, per_client=client, per_email=email, window=60)


async def fail(limiter: LoginLimiter, email: str, client: str) -> None:
    await limiter.reserve(email, client)  # a wrong password keeps the reservation


async def test_failures_per_pair_are_limited_and_a_success_clears_them() -> None:
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis)
    for _ in range(3):
        await fail(login, "Kim@Example.com", "10.0.0.1")
    with pytest.raises(ApiError) as caught:
        await login.reserve("kim@example.com ", "10.0.0.1")
    assert caught.value.status == 429
    assert caught.value.headers is not None
    assert 0 < int(caught.value.headers["Retry-After"]) <= 60
    # The owner, from another address, is not locked out by those failures.
    owner = await login.reserve("kim@example.com", "10.0.0.2")
    await login.succeeded(owner, "kim@example.com", "10.0.0.2")
    await login.reserve("other@example.com", "10.0.0.1")
    await redis.aclose()


async def test_a_success_gives_its_reservation_back_and_the_pair_starts_over() -> None:
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis)
    for _ in range(2):
        await fail(login, "kim@example.com", "10.0.0.1")
    reservation = await login.reserve("kim@example.com", "10.0.0.1")
    await login.succeeded(reservation, "kim@example.com", "10.0.0.1")
    assert await redis.get("eco2:login:failures:client:10.0.0.1") == b"2"
    for _ in range(3):
        await fail(login, "kim@example.com", "10.0.0.1")
    await redis.aclose()


async def test_failures_per_client_are_limited_across_emails() -> None:
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis, pair=100, client=2)
    await fail(login, "a@example.com", "10.0.0.9")
    await fail(login, "b@example.com", "10.0.0.9")
    with pytest.raises(ApiError):
        await login.reserve("c@example.com", "10.0.0.9")
    await login.reserve("c@example.com", "10.0.0.10")
    assert 0 < await redis.ttl("eco2:login:failures:client:10.0.0.9") <= 60
    await redis.aclose()


async def test_failures_per_email_from_many_addresses_are_limited_too() -> None:
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis, pair=3, email=4)
    for n in range(4):
        await fail(login, "kim@example.com", f"10.0.1.{n}")
    with pytest.raises(ApiError):
        await login.reserve("kim@example.com", "10.0.2.1")
    await redis.aclose()


async def test_concurrent_guesses_cannot_outrun_the_limit() -> None:
    """40 guesses at once: at most the limit reach the (slow) password check."""
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis, pair=5)
    reached = 0

    async def guess() -> int:
        nonlocal reached
        try:
            await login.reserve("kim@example.com", "10.0.0.1")
        except ApiError as refused:
            return refused.status
        reached += 1
        await asyncio.sleep(0.01)  # hashing the password
        return 401

    statuses = await asyncio.gather(*(guess() for _ in range(40)))
    assert reached == 5
    assert statuses.count(401) == 5
    assert statuses.count(429) == 35
    await redis.aclose()


async def test_a_refused_attempt_takes_nothing_from_the_other_counters() -> None:
    redis = fakeredis.FakeAsyncRedis()
    login = limiter(redis, pair=1)
    await fail(login, "kim@example.com", "10.0.0.1")
    for _ in range(5):
        with pytest.raises(ApiError):
            await login.reserve("kim@example.com", "10.0.0.1")
    assert await redis.get("eco2:login:failures:client:10.0.0.1") == b"1"
    await redis.aclose()


async def test_registrations_per_client_are_limited() -> None:
    redis = fakeredis.FakeAsyncRedis()
    registrations = RegistrationLimiter(redis, per_client=2, window=60)
    await registrations.reserve("10.0.0.1")
    await registrations.reserve("10.0.0.1")
    with pytest.raises(ApiError) as caught:
        await registrations.reserve("10.0.0.1")
    assert caught.value.status == 429
    await registrations.reserve("10.0.0.2")
    await redis.aclose()
