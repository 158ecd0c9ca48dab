"""Database connections killed under load: real storage, AI, recycling and character
processes on real RabbitMQ and PostgreSQL while every few hundred milliseconds the
PostgreSQL backends of all of them are ended with `pg_terminate_backend` (idle pooled
connections, queries and transactions in flight, the journals' sync). Nothing may change
an outcome: 0 lost, 0 duplicated, 0 unexpected, and every reward a scan earned is granted,
once, as announced.

    pytest tests/chaos/test_database_chaos.py --chaos-db-tasks 1000     (default 120)
"""

from __future__ import annotations

import asyncio
import random
import time

import asyncpg
import pytest

from bus.ports import Subscription
from bus.rabbit import RabbitBus
from contracts.catalog import build_registry
from tests.chaos.checks import (
    CHECKER,
    Tally,
    assert_no_outcome_changed,
    check,
    publish_scans,
    settle,
    wait_for_queues,
)
from tests.chaos.conftest import Env
from tests.chaos.fleet import Fleet, Slot

pytestmark = [pytest.mark.rabbit, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]


async def _kill_backends(killer: asyncpg.Connection) -> int:
    """End every backend on this database but the checker's; return how many."""
    ended: int = await killer.fetchval(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND application_name <> $1",
        CHECKER,
    )
    return ended


async def test_killed_database_connections_change_no_outcome(
    env: Env, request: pytest.FixtureRequest
) -> None:
    count: int = request.config.getoption("--chaos-db-tasks")
    objects = env.root / "objects"
    common = {
        "ECO2_BUS_URL": env.rabbit_url,
        "ECO2_DATABASE_URL": env.database_url,
        "ECO2_REDIS_URL": "memory://",
        "ECO2_OBJECT_STORE_URL": str(objects),
        "ECO2_RETRY_BASE_DELAY": "0.05",
        "ECO2_RETRY_MAX_DELAY": "1",
        "ECO2_MAX_ATTEMPTS": "8",
        "ECO2_SYNC_MAX_DELAY": "0.1",
    }
    fleet = Fleet(
        [
            Slot(name, 0, env.root / name, common)
            for name in ("recycling", "character", "storage", "ai")
        ]
    )
    tally = Tally(env.database_url)
    await tally.start()
    assert tally.pool is not None
    downstream = RabbitBus(env.rabbit_url, build_registry())
    downstream.subscribe(Subscription("tally", ["scan.completed", "scan.failed"], tally.handle))
    await downstream.start()
    killer = await asyncpg.connect(env.database_url, server_settings={"application_name": CHECKER})
    kills = ended = 0
    try:
        await fleet.revive()
        await wait_for_queues(
            env, ["eco2.recycling.rpc", "eco2.character.rpc", "eco2.storage", "eco2.ai"]
        )
        good, poison = await publish_scans(env, objects, count)
        started = time.monotonic()

        while not await tally.finished(count, poison):
            assert time.monotonic() - started < 300, "the pipeline did not finish in 5 minutes"
            await asyncio.sleep(random.uniform(0.1, 0.4))
            ended += await _kill_backends(killer)
            kills += 1
            await fleet.revive()  # a process that gave up on the database comes back
        elapsed = time.monotonic() - started
        await settle(fleet)
        report = await check(env, tally.pool, fleet, good, poison)
    finally:
        await fleet.stop()
        await downstream.close()
        await killer.close()
        await tally.pool.close()
    exits = sum(s.exits for s in fleet.slots)
    report.notes.append(
        f"{elapsed:.1f}s; {kills} kill rounds ended {ended} backends; process exits {exits}"
    )
    print("\ndatabase chaos report:\n  " + "\n  ".join(report.lines()))
    assert_no_outcome_changed(report, count, poison)
    assert report.rewards_dropped == 0, report.lines()
