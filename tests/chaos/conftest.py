"""What every chaos test starts from: a RabbitMQ vhost and a PostgreSQL database of its
own, migrated by `eco2 migrate`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.databases import fresh_database
from support.env import ECO2
from support.rabbit import temporary_vhost


@dataclass
class Env:
    rabbit_url: str  # direct, for the test's own publisher and checker
    database_url: str
    root: Path


@pytest.fixture
async def env(rabbit_url: str, postgres_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """A RabbitMQ vhost and a PostgreSQL database of its own, migrated by `eco2 migrate`."""
    async with (
        temporary_vhost(rabbit_url, "eco2-chaos") as broker_url,
        fresh_database(postgres_url, "eco2_chaos") as database_url,
    ):
        migrate = await asyncio.create_subprocess_exec(
            ECO2,
            "migrate",
            env={
                "PATH": "",
                "ECO2_DATABASE_URL": database_url,
                "ECO2_DATA_DIR": str(tmp_path / "migrate"),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await migrate.communicate()
        assert migrate.returncode == 0, output.decode()
        yield Env(broker_url, database_url, tmp_path)
