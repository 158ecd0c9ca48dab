"""Shared fixtures: the real servers (found and judged missing by `support.env`)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

# The support package's asserts (e.g. in its bus harness) report like the tests' own.
pytest.register_assert_rewrite("support")

from support.env import POSTGRES_URL, RABBIT_URL, REDIS_URL, unavailable  # noqa: E402


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
        default=int(os.environ.get("ECO2_CHAOS_TASKS", "40")),
        help="tasks the chaos suite publishes (default 40, or ECO2_CHAOS_TASKS)",
    )
    parser.addoption(
        "--chaos-db-tasks",
        type=int,
        default=int(os.environ.get("ECO2_CHAOS_DB_TASKS", "120")),
        help="tasks the database-connection chaos test publishes (default 120)",
    )
    parser.addoption(
        "--chaos-replies",
        type=int,
        default=int(os.environ.get("ECO2_CHAOS_REPLIES", "40")),
        help="chat replies the chat chaos test streams (default 40; the issue's run is 200)",
    )
    parser.addoption(
        "--chaos-across-workers",
        action="store_true",
        help="also run the chat chaos test with two AI workers (a known failure, xfail)",
    )
