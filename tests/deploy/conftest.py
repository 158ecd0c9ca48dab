"""Fixtures of the deploy suite: the machine's servers, each test on a fresh database and
vhost, and a place for the containers' directories and logs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from support.databases import fresh_database
from support.rabbit import temporary_vhost


@dataclass(frozen=True)
class Servers:
    bus: str
    database: str
    redis: str


@pytest.fixture
async def servers(rabbit_url: str, postgres_url: str, redis_url: str) -> AsyncIterator[Servers]:
    async with (
        temporary_vhost(rabbit_url, "deploy") as bus,
        fresh_database(postgres_url, "deploy") as database,
    ):
        yield Servers(bus, database, redis_url)
