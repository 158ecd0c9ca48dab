"""The chaos suite: real storage and AI worker processes on real RabbitMQ and PostgreSQL,
killed with SIGKILL every few hundred milliseconds and at fault points, with their network
to RabbitMQ and PostgreSQL cut mid-run. The real recycling and character services answer
the AI pipeline's rules and reward requests. The checker then counts lost, duplicated and
unexpected outcomes and downstream effects; every one must be zero, and every reward a
completed scan announced must be the one grant the character service recorded for it.

    pytest tests/chaos --chaos-tasks 10000     (default 2000)
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import pytest

from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.scan.v1 import ScanRequested
from journal.sqlite.store import Journal, State
from support import images
from support.databases import fresh_database
from support.env import ECO2
from support.rabbit import temporary_vhost
from tests.chaos.fleet import Fleet, Slot
from tests.chaos.proxy import Proxy

pytestmark = [pytest.mark.rabbit, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

FAULTS = (
    "after_begin=0.002,after_checkpoint=0.002,after_complete=0.003,"
    "after_publish=0.003,after_sync_commit=0.02"
)
POISON_SHARE = 0.02


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


class Tally:
    """A downstream consumer with an inbox: one effect per outcome id, however often delivered."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.deliveries = 0
        self.dropped = 0
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=4)
        await self.pool.execute(
            "CREATE TABLE effects (outcome_id uuid PRIMARY KEY, scan_id text NOT NULL,"
            " kind text NOT NULL, detail text, reward text)"
        )

    async def handle(self, message: Message[Any]) -> None:
        assert self.pool is not None
        self.deliveries += 1
        payload = message.payload
        completed = message.envelope.type == "scan.completed"
        detail = (
            payload.result.classification.middle
            if completed
            else (f"{payload.stage}:{payload.code}")
        )
        reward = payload.result.reward if completed else None
        status = await self.pool.execute(
            "INSERT INTO effects (outcome_id, scan_id, kind, detail, reward)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (outcome_id) DO NOTHING",
            message.envelope.message_id,
            payload.scan_id,
            message.envelope.type,
            detail,
            f"{reward.character.code}:{reward.status}" if reward else None,
        )
        if status.endswith(" 0"):
            self.dropped += 1


@dataclass
class Report:
    tasks: int
    poison: int
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    effects: int = 0
    dead_lettered: int = 0
    open_in_journals: int = 0
    unsynced_in_journals: int = 0
    rewards: int = 0
    rewards_unlike_grants: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"tasks {self.tasks} (poison {self.poison})",
            f"lost {self.lost}, duplicated {self.duplicated}, unexpected {self.unexpected}",
            f"downstream effects {self.effects}, dead-lettered poison {self.dead_lettered}",
            f"journal entries left open {self.open_in_journals}, "
            f"unsynced {self.unsynced_in_journals}",
            f"rewards {self.rewards}, unlike the character service's grants "
            f"{self.rewards_unlike_grants}",
            *self.notes,
        ]


async def _publish(env: Env, objects: Path, count: int) -> tuple[set[str], set[str]]:
    good: set[str] = set()
    poison: set[str] = set()
    photo = images.jpeg(96, 64)
    uploads = objects / "uploads"
    uploads.mkdir(parents=True)
    users = [str(uuid.uuid4()) for _ in range(50)]
    bus = RabbitBus(env.rabbit_url, build_registry())
    await bus.start()
    try:
        for i in range(count):
            scan_id = str(uuid.uuid4())
            bad = random.random() < POISON_SHARE
            (uploads / f"{scan_id}.jpg").write_bytes(b"not an image" if bad else photo)
            (poison if bad else good).add(scan_id)
            await bus.publish(
                new_envelope(
                    ScanRequested(
                        scan_id=scan_id,
                        user_id=users[i % len(users)],
                        image_key=f"uploads/{scan_id}.jpg",
                        hint="라벨 뗀 투명 페트병" if i % 2 else "우유팩",
                    )
                )
            )
    finally:
        await bus.close()
    return good, poison


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
        await _wait_for_queues(env, ["eco2.recycling.rpc", "eco2.character.rpc"])
        await fleet.revive()  # first start; declares the worker queues
        await _wait_for_queues(env, ["eco2.storage", "eco2.ai"])
        good, poison = await _publish(env, objects, count)
        started = time.monotonic()

        async def done() -> bool:
            assert tally.pool is not None
            effects = await tally.pool.fetchval("SELECT count(DISTINCT scan_id) FROM effects")
            synced = await tally.pool.fetchval("SELECT count(*) FROM journal.outcomes")
            return bool(effects >= count and synced >= 2 * count - len(poison))

        cuts = {0.3: pg_proxy, 0.6: rabbit_proxy}
        while not await done():
            assert time.monotonic() - started < 600, "the pipeline did not finish in 10 minutes"
            await asyncio.sleep(random.uniform(0.2, 0.6))
            await fleet.kill_and_restart(random.choice(fleet.slots))
            await fleet.revive()
            progress = await tally.pool.fetchval("SELECT count(*) FROM effects") / count
            for mark, proxy in list(cuts.items()):
                if progress >= mark:
                    del cuts[mark]
                    asyncio.get_running_loop().create_task(proxy.cut(3.0))
        elapsed = time.monotonic() - started
        # Calm: every worker up long enough for crash recovery to finish the entries its
        # journal holds open for messages another replica finished meanwhile.
        await fleet.revive()
        async with asyncio.timeout(60):
            while await _open_entries(fleet):
                await asyncio.sleep(0.5)
                await fleet.revive()
        await fleet.stop()
        report = await _check(env, tally.pool, fleet, good, poison)
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
    assert (report.lost, report.duplicated, report.unexpected) == (0, 0, 0), report.lines()
    assert report.effects == count
    assert report.dead_lettered == len(poison)
    assert report.open_in_journals == 0
    assert report.rewards > 0
    assert report.rewards_unlike_grants == 0


async def _open_entries(fleet: Fleet) -> int:
    """Entries left received/processing, read from the live journals (safe under WAL)."""
    total = 0
    for slot in fleet.slots:
        path = slot.data_dir / "journal" / f"{slot.component}.journal"
        if not path.exists():
            continue
        journal = await Journal.open(path, readonly=True)
        try:
            stats = await journal.stats()
        finally:
            await journal.close()
        total += stats.by_state[State.RECEIVED] + stats.by_state[State.PROCESSING]
    return total


async def _wait_for_queues(env: Env, names: list[str]) -> None:
    connection = await aio_pika.connect(env.rabbit_url)
    async with connection, asyncio.timeout(120):
        for name in names:
            while True:
                channel = await connection.channel()
                try:
                    await channel.declare_queue(name, passive=True)
                    break
                except aio_pika.exceptions.ChannelClosed:
                    await asyncio.sleep(0.2)


async def _check(
    env: Env, db: asyncpg.Pool, fleet: Fleet, good: set[str], poison: set[str]
) -> Report:
    report = Report(tasks=len(good) + len(poison), poison=len(poison))
    effects = await db.fetch("SELECT scan_id, kind, detail FROM effects")
    by_scan: dict[str, list[tuple[str, str]]] = {}
    for row in effects:
        by_scan.setdefault(row["scan_id"], []).append((row["kind"], row["detail"]))
    report.effects = len(effects)
    known = good | poison
    report.lost = len(known - set(by_scan))
    report.duplicated = sum(len(kinds) - 1 for kinds in by_scan.values() if len(kinds) > 1)
    for scan_id, kinds in by_scan.items():
        expected = (
            ("scan.failed", "storage:invalid_image")
            if scan_id in poison
            else ("scan.completed", None)
        )
        if scan_id not in known or any(
            kind != expected[0] or (expected[1] and detail != expected[1]) for kind, detail in kinds
        ):
            report.unexpected += 1
    rows = await db.fetch(
        "SELECT worker, state, envelope->'payload'->>'scan_id' AS scan_id FROM journal.outcomes"
    )
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["worker"], row["scan_id"])
        seen[key] = seen.get(key, 0) + 1
        wrong_state = (row["state"] == "failed") != (row["scan_id"] in poison)
        if (
            row["scan_id"] not in known
            or wrong_state
            or (row["worker"] == "ai" and row["scan_id"] in poison)
        ):
            report.unexpected += 1
    report.duplicated += sum(n - 1 for n in seen.values() if n > 1)
    report.lost += len({("storage", s) for s in known} - set(seen))
    report.lost += len({("ai", s) for s in good} - set(seen))
    report.dead_lettered = len(await _dead_letters(env) & poison)
    # What each completed scan told its user against what the character service recorded:
    # one grant per rewarded scan, the same character and status, none for other scans.
    granted = {
        row["scan_id"]: f"{row['character_code']}:{row['status']}"
        for row in await db.fetch('SELECT scan_id, character_code, status FROM "character".grants')
    }
    announced = {
        row["scan_id"]: row["reward"]
        for row in await db.fetch(
            "SELECT scan_id, reward FROM effects WHERE kind = 'scan.completed'"
            " AND reward IS NOT NULL"
        )
    }
    report.rewards = len(announced)
    report.rewards_unlike_grants = sum(
        granted.get(scan) != reward for scan, reward in announced.items()
    ) + len(set(granted) - set(announced))
    for slot in fleet.slots:
        journal = await Journal.open(
            slot.data_dir / "journal" / f"{slot.component}.journal", readonly=True
        )
        try:
            stats = await journal.stats()
            report.open_in_journals += (
                stats.by_state[State.RECEIVED] + stats.by_state[State.PROCESSING]
            )
            report.unsynced_in_journals += stats.backlog
        finally:
            await journal.close()
    return report


async def _dead_letters(env: Env) -> set[str]:
    scans = set()
    connection = await aio_pika.connect(env.rabbit_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("eco2.storage.dead", passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            assert message.headers.get("x-eco2-dead-reason") == "rejected"
            scans.add(json.loads(message.body)["payload"]["scan_id"])
    return scans
