"""What the chaos tests publish and how they count what came out: the scans, a downstream
consumer with an inbox (`Tally`), and the checker's `Report` of lost, duplicated and
unexpected outcomes, dead letters, open journal entries and rewards against grants."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg

from bus.ports import Message
from bus.rabbit import RabbitBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.scan.v1 import ScanRequested
from journal.sqlite.store import Journal, State, Stats
from support import images
from tests.chaos.conftest import Env
from tests.chaos.fleet import Fleet

POISON_SHARE = 0.02
# The application name of the checker's own connections, which database faults spare.
CHECKER = "eco2-chaos-checker"


class Tally:
    """A downstream consumer with an inbox: one effect per outcome id, however often delivered."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.deliveries = 0
        self.dropped = 0
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.database_url,
            min_size=1,
            max_size=4,
            server_settings={"application_name": CHECKER},
        )
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

    async def finished(self, count: int, poison: set[str]) -> bool:
        """Every scan has its outcome downstream, and every journal shipped its entries."""
        assert self.pool is not None
        effects = await self.pool.fetchval("SELECT count(DISTINCT scan_id) FROM effects")
        synced = await self.pool.fetchval("SELECT count(*) FROM journal.outcomes")
        return bool(effects >= count and synced >= 2 * count - len(poison))


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
    rewards_dropped: int = 0  # completed without the reward its category earned elsewhere
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"tasks {self.tasks} (poison {self.poison})",
            f"lost {self.lost}, duplicated {self.duplicated}, unexpected {self.unexpected}",
            f"downstream effects {self.effects}, dead-lettered poison {self.dead_lettered}",
            f"journal entries left open {self.open_in_journals}, "
            f"unsynced {self.unsynced_in_journals}",
            f"rewards {self.rewards}, unlike the character service's grants "
            f"{self.rewards_unlike_grants}, earned but not granted {self.rewards_dropped}",
            *self.notes,
        ]


async def publish_scans(env: Env, objects: Path, count: int) -> tuple[set[str], set[str]]:
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


async def journal_stats(fleet: Fleet) -> list[Stats]:
    """The stats of each journaled worker's journal, read live (safe under WAL)."""
    found = []
    for slot in fleet.slots:
        path = slot.data_dir / "journal" / f"{slot.component}.journal"
        if not path.exists():  # not a journaled worker, or not started yet
            continue
        journal = await Journal.open(path, readonly=True)
        try:
            found.append(await journal.stats())
        finally:
            await journal.close()
    return found


async def open_entries(fleet: Fleet) -> int:
    """Entries left received/processing in the live journals."""
    return sum(
        s.by_state[State.RECEIVED] + s.by_state[State.PROCESSING]
        for s in await journal_stats(fleet)
    )


async def settle(fleet: Fleet) -> None:
    """Calm: every worker up long enough for crash recovery to finish the entries its
    journal holds open for messages another replica finished meanwhile; then stop."""
    await fleet.revive()
    async with asyncio.timeout(60):
        while await open_entries(fleet):
            await asyncio.sleep(0.5)
            await fleet.revive()
    await fleet.stop()


def assert_no_outcome_changed(report: Report, count: int, poison: set[str]) -> None:
    """What every chaos run must end with, whatever it broke on the way."""
    assert (report.lost, report.duplicated, report.unexpected) == (0, 0, 0), report.lines()
    assert report.effects == count
    assert report.dead_lettered == len(poison)
    assert report.open_in_journals == 0
    assert report.rewards > 0
    assert report.rewards_unlike_grants == 0, report.lines()


async def wait_for_queues(env: Env, names: list[str]) -> None:
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


async def check(
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
    report.dead_lettered = len(await dead_letters(env) & poison)
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
    # The offline model classifies by hint, so every scan of a category that earned a
    # character once earned one each time: a completed scan of it without one lost it.
    report.rewards_dropped = await db.fetchval(
        "SELECT count(*) FROM effects WHERE kind = 'scan.completed' AND reward IS NULL"
        " AND detail IN (SELECT detail FROM effects WHERE reward IS NOT NULL)"
    )
    report.rewards_unlike_grants = sum(
        granted.get(scan) != reward for scan, reward in announced.items()
    ) + len(set(granted) - set(announced))
    for stats in await journal_stats(fleet):
        report.open_in_journals += stats.by_state[State.RECEIVED] + stats.by_state[State.PROCESSING]
        report.unsynced_in_journals += stats.backlog
    return report


async def dead_letters(env: Env) -> set[str]:
    scans = set()
    connection = await aio_pika.connect(env.rabbit_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("eco2.storage.dead", passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            assert message.headers.get("x-eco2-dead-reason") == "rejected"
            scans.add(json.loads(message.body)["payload"]["scan_id"])
    return scans
