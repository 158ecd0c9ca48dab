"""`python -m bench.journal [worker|commit|sync ...]`: the journal benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import statistics

from bench.journal import __doc__ as DOC
from bench.journal.commit import commit_per_entry, group_commit
from bench.journal.sync import sync_rows
from bench.journal.worker import journaled_worker, raw_worker
from support.env import POSTGRES_URL, RABBIT_URL


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.journal", description=(DOC or "").splitlines()[0]
    )
    parser.add_argument("which", nargs="*", default=["worker", "commit", "sync"])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=RABBIT_URL)
    parser.add_argument("--database", default=POSTGRES_URL)
    args = parser.parse_args()
    if "worker" in args.which:
        await raw_worker(args.url, 200)
        await journaled_worker(args.url, 200)
        ratios = []
        for _ in range(args.rounds):
            raw = await raw_worker(args.url, args.tasks)
            ours = await journaled_worker(args.url, args.tasks)
            ratios.append(ours / raw)
            print(
                f"journaled worker : {ours:8.0f} tasks/s | plain aio-pika {raw:8.0f} tasks/s"
                f" | ratio {ours / raw:.2f}"
            )
        print(f"worker median ratio: {statistics.median(ratios):.2f} (target >= 0.5)")
    if "commit" in args.which:
        grouped = await group_commit(args.tasks, 256)
        single = await commit_per_entry(args.tasks)
        print(
            f"begin+complete   : {grouped:8.0f} /s group commit | {single:8.0f} /s commit per"
            f" entry | ratio {grouped / single:.1f}x"
        )
    if "sync" in args.which:
        ratios = []
        for _ in range(args.rounds):
            sync_rate, copy_rate = await sync_rows(args.database, args.rows)
            ratios.append(sync_rate / copy_rate)
            print(
                f"sync to postgres : {sync_rate:8.0f} rows/s | plain COPY {copy_rate:8.0f}"
                f" rows/s | ratio {sync_rate / copy_rate:.2f}"
            )
        print(f"sync median ratio: {statistics.median(ratios):.2f} (target >= 0.8)")


if __name__ == "__main__":
    asyncio.run(main())
