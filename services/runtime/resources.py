"""Resource factories: the one place that turns settings into connections and adapters.

Each `match` below is where an adapter is chosen; nothing else in the code picks one.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bus.memory import MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Bus
from bus.rabbit import RabbitBus
from contracts import Registry
from contracts.catalog import build_registry
from objects import LocalObjectStore, ObjectStore
from services.ai.cache import CachedProvider
from services.ai.chat.offline import OfflineCoach
from services.ai.chat.provider import ChatProvider
from services.ai.limiter import Limiter, LocalLimiter, RedisLimiter
from services.ai.offline import OfflineProvider
from services.ai.provider import Provider
from services.runtime.embedded import embedded_postgres
from services.runtime.settings import Settings

if TYPE_CHECKING:
    from objects.s3 import S3ObjectStore


log = logging.getLogger(__name__)

T = TypeVar("T")

# Idle Redis connections are pinged before use after this many seconds.
REDIS_HEALTH_CHECK_INTERVAL = 10


class ResourceError(Exception):
    """A configured service could not be reached at start; the message says which."""


@dataclass(frozen=True)
class Resources:
    settings: Settings
    registry: Registry
    bus: Bus
    database_url: str
    db: asyncpg.Pool
    redis: aioredis.Redis
    objects: ObjectStore

    async def db_ready(self) -> bool:
        return bool(await self.db.fetchval("SELECT 1"))

    async def redis_ready(self) -> bool:
        return bool(await self.redis.ping())


def build_bus(settings: Settings, registry: Registry) -> Bus:
    policy = RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay=settings.retry_base_delay,
        max_delay=settings.retry_max_delay,
    )
    match urlsplit(settings.bus_url).scheme:
        case "memory":
            return MemoryBus(
                registry,
                policy=policy,
                prefetch=settings.prefetch,
                request_timeout=settings.request_timeout,
                grace=settings.shutdown_grace,
            )
        case _:
            return RabbitBus(
                settings.bus_url,
                registry,
                policy=policy,
                prefetch=settings.prefetch,
                request_timeout=settings.request_timeout,
                grace=settings.shutdown_grace,
                delivery_limit=settings.delivery_limit,
            )


def build_redis(settings: Settings) -> aioredis.Redis:
    match urlsplit(settings.redis_url).scheme:
        case "memory":
            import fakeredis

            redis: aioredis.Redis = fakeredis.FakeAsyncRedis()
            return redis
        case _:
            # A burst past the pool waits (up to the request timeout) for a connection
            # rather than failing; SSE's blocking reads use a pool of their own.
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=settings.redis_pool_size,
                timeout=settings.request_timeout,
                health_check_interval=REDIS_HEALTH_CHECK_INTERVAL,
                retry=RetryOnce(),
                # Above the longest blocking read (SSE's XREAD, copied to its pool).
                socket_timeout=settings.redis_socket_timeout,
            )
            return aioredis.Redis.from_pool(pool)


class RetryOnce(Retry):
    """redis-py's retry, once and at once, on a connection error or timeout, logged: a
    connection Redis dropped (killed, or timed out while idle) is replaced and the command
    sent again on the new one, instead of failing the request that met it."""

    def __init__(self) -> None:
        super().__init__(NoBackoff(), 1)

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[T]],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        async def logged(error: Exception, *count: int) -> None:
            log.warning("Redis connection failed (%s); trying again on a new one", error)
            await fail(error, *count)

        return await super().call_with_retry(do, logged, is_retryable, with_failure_count)


def jwt_secret(settings: Settings) -> str:
    """The token signing secret: configured, or on embedded defaults kept in the data dir.

    Only the components that sign or verify tokens (accounts, gateway) ask for it.
    """
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if urlsplit(settings.bus_url).scheme != "memory":
        raise ResourceError(
            "ECO2_JWT_SECRET is not set: every accounts and gateway process must share one "
            "secret of at least 32 characters"
        )
    path = settings.data_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def build_objects(settings: Settings) -> LocalObjectStore | S3ObjectStore:
    """The configured object store, not yet open (`open_resources` enters it)."""
    location = settings.objects_location
    match urlsplit(location).scheme:
        case "s3":
            from objects.s3 import S3ObjectStore  # boto's import costs 0.5 s: S3 only

            return S3ObjectStore.from_url(location, endpoint_url=settings.s3_endpoint_url)
        case _:
            return LocalObjectStore(Path(location))


def build_limiter(settings: Settings, redis: aioredis.Redis) -> Limiter:
    """The model-call limits: shared through Redis, or per process on the in-process Redis."""
    rpm, concurrency = settings.openai_requests_per_minute, settings.openai_max_concurrency
    match urlsplit(settings.redis_url).scheme:
        case "memory":
            return LocalLimiter(max_requests=rpm, max_concurrency=concurrency)
        case _:
            # A slot's lease outlives one call with all its retries; the holder renews it.
            return RedisLimiter(
                redis,
                "eco2:ai:limit:openai",
                max_requests=rpm,
                max_concurrency=concurrency,
                lease=max(30.0, settings.openai_timeout),
            )


def build_provider(settings: Settings, redis: aioredis.Redis) -> Provider:
    """The AI provider, behind the classification cache (unless `ECO2_AI_CACHE_TTL=0`)."""
    provider: Provider
    match settings.ai_provider:
        case "offline":
            provider = OfflineProvider()
        case "openai":
            # Imported here: the SDK takes half a second to import, which every process
            # (and every chaos-suite restart) would pay for a provider it does not use.
            from services.ai.openai_provider import OpenAIProvider

            key = settings.openai_api_key
            provider = OpenAIProvider(
                base_url=settings.openai_base_url,
                api_key=key.get_secret_value() if key is not None else None,
                model=settings.openai_model,
                limiter=build_limiter(settings, redis),
                timeout=settings.openai_timeout,
                max_retries=settings.openai_max_retries,
            )
    if settings.ai_cache_ttl == 0:
        return provider
    return CachedProvider(provider, redis, settings.ai_cache_ttl)


def build_chat_provider(settings: Settings, redis: aioredis.Redis) -> ChatProvider:
    """The provider that writes chat answers (the model is `ECO2_OPENAI_CHAT_MODEL`)."""
    match settings.ai_provider:
        case "offline":
            return OfflineCoach(settings.chat_words_per_second)
        case "openai":
            from services.ai.chat.openai_stream import OpenAIChat

            key = settings.openai_api_key
            return OpenAIChat(
                base_url=settings.openai_base_url,
                api_key=key.get_secret_value() if key is not None else None,
                model=settings.openai_chat_model,
                limiter=build_limiter(settings, redis),
                timeout=settings.openai_timeout,
                max_retries=settings.openai_max_retries,
            )


async def release_clean(connection: asyncpg.Connection) -> None:
    """Reset a connection going back to the pool without a round trip when it is clean.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL` on every release: a second round trip for every one-query request. Pooled
    connections here hold only transaction-scoped state (advisory locks are `_xact_`,
    listeners are removed by their owners, nothing `SET`s a session), so rolling back a
    transaction left open is all a release needs.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


@asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    match urlsplit(settings.database_url).scheme:
        case "embedded":
            async with embedded_postgres(settings.data_dir) as url:
                yield url
        case _:
            yield settings.database_url


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Open every resource; the bus is built but not started (subscribe first, then start).

    On exit the bus closes first (finishing in-flight work), then the object store, Redis
    and the database.
    """
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(database_url(settings))
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=settings.database_pool_size, reset=release_clean
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise ResourceError(f"cannot reach PostgreSQL (ECO2_DATABASE_URL): {exc}") from exc
        stack.push_async_callback(pool.close)
        redis = build_redis(settings)
        stack.push_async_callback(redis.aclose)
        objects: ObjectStore = await stack.enter_async_context(build_objects(settings))
        registry = build_registry()
        bus = build_bus(settings, registry)
        stack.push_async_callback(bus.close)
        yield Resources(settings, registry, bus, url, pool, redis, objects)


def describe(resources: Resources) -> dict[str, Any]:
    """What the process is connected to, without secrets, for the start-up log line."""
    settings = resources.settings
    return {
        "bus": urlsplit(settings.bus_url).scheme,
        "database": urlsplit(settings.database_url).scheme,
        "redis": urlsplit(settings.redis_url).scheme,
        "objects": settings.objects_location,
        "ai": settings.ai_provider
        + (f" {settings.openai_model}" if settings.ai_provider == "openai" else ""),
    }
