"""Fresh PostgreSQL databases for tests: created next to `postgres_url`, dropped on exit;
and Redis databases flushed before and after."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
import redis.asyncio as aioredis

from services.runtime.migrate import migrate, package_migrations


@asynccontextmanager
async def fresh_database(
    postgres_url: str, prefix: str, domains: Sequence[tuple[str, str]] = ()
) -> AsyncIterator[str]:
    """A new database `<prefix>_<hex>` on `postgres_url`'s server; yields its URL.

    With `domains` (`(domain, package)` pairs, as `package_migrations` takes them) their
    schemas are migrated first; without, the database is bare. It is dropped on exit,
    `WITH (FORCE)`, so connections a test left open do not keep it.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = urlsplit(postgres_url)._replace(path=f"/{name}").geturl()
            if domains:
                await migrate(url, package_migrations(domains))
            yield url
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def flushed_redis(url: str) -> AsyncIterator[str]:
    """The Redis database at `url`, flushed before and after; yields `url`."""
    client = aioredis.from_url(url)
    try:
        await client.flushdb()
        yield url
    finally:
        await client.flushdb()
        await client.aclose()
