"""Where the project and the real servers are, and what a missing server means.

The URLs come from `ECO2_TEST_RABBIT_URL`, `ECO2_TEST_DATABASE_URL` and
`ECO2_TEST_REDIS_URL`, so the tests and the benchmarks run against the same servers. With
`ECO2_REQUIRE_SERVICES=1` (set by `.ci/run`) a missing server fails the tests that need it;
otherwise those tests are skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ECO2 = str(Path(sys.executable).with_name("eco2"))

REQUIRE_SERVICES = os.environ.get("ECO2_REQUIRE_SERVICES") == "1"
RABBIT_URL = os.environ.get("ECO2_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("ECO2_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ECO2_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_db(db: int) -> str:
    """`REDIS_URL` on database `db` (each benchmark flushes a database of its own)."""
    return urlsplit(REDIS_URL)._replace(path=f"/{db}").geturl()


def unavailable(message: str) -> NoReturn:
    """Something a test needs is missing: a failure under ECO2_REQUIRE_SERVICES=1 (CI),
    a skip elsewhere (a laptop without the servers)."""
    if REQUIRE_SERVICES:
        pytest.fail(message + "; ECO2_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(message)
