"""Shared fixtures: where the real services are, and whether their absence fails or skips.

With ECO2_REQUIRE_SERVICES=1 (set by `.ci/run`) a missing RabbitMQ, PostgreSQL or Redis
fails the tests that need it; otherwise those tests are skipped.
"""

from __future__ import annotations

import os
import socket
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

REQUIRE_SERVICES = os.environ.get("ECO2_REQUIRE_SERVICES") == "1"

RABBIT_URL = os.environ.get("ECO2_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("ECO2_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(message: str) -> NoReturn:
    """Something a test needs is missing: a failure under ECO2_REQUIRE_SERVICES=1 (CI),
    a skip elsewhere (a laptop without the servers)."""
    if REQUIRE_SERVICES:
        pytest.fail(message + "; ECO2_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(message)


def _require(name: str, url: str) -> str:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return url
    except OSError as exc:
        unavailable(f"{name} is not reachable at {parts.hostname}:{parts.port} ({exc})")


@pytest.fixture(scope="session")
def rabbit_url() -> str:
    return _require("RabbitMQ", RABBIT_URL)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _require("PostgreSQL", POSTGRES_URL)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _require("Redis", REDIS_URL)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--chaos-tasks",
        type=int,
        default=int(os.environ.get("ECO2_CHAOS_TASKS", "2000")),
        help="tasks the chaos suite publishes (default 2000, or ECO2_CHAOS_TASKS)",
    )
