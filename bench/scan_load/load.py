"""The load process: submit scans at once spread over the users; follow each to its end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.scan_load.calls import HINT
from bench.scan_load.follow import Follow, Scan, follow_user, get_scan, sweep
from bench.scan_load.measure import percentile
from support.images import numbered


async def load_scans(
    base: str, tokens: list[str], count: int, timeout: float, warmup: bool, mark: Path | None
) -> dict[str, Any]:
    """Submit `count` scans at once spread over the users; follow each to its end.

    `mark` is a file created once every scan is followed, before the checks by GET, so
    the parent measures the CPU of the load alone."""
    photos = [numbered(i + (60_000 if warmup else 0)) for i in range(count)]
    scans = [Scan(i, i % len(tokens)) for i in range(count)]
    follow = Follow(left=count)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        readies = [asyncio.Event() for _ in tokens]
        followers = [
            asyncio.create_task(follow_user(session, base, token, follow, ready))
            for token, ready in zip(tokens, readies, strict=True)
        ]
        async with asyncio.timeout(30):
            await asyncio.gather(*(r.wait() for r in readies))
        sweeper = asyncio.create_task(sweep(session, base, tokens, scans, follow, 60.0))

        async def submit(scan: Scan) -> None:
            form = aiohttp.FormData()
            form.add_field(
                "image", photos[scan.index], filename="photo.jpg", content_type="image/jpeg"
            )
            form.add_field("hint", HINT)
            headers = {
                "Authorization": f"Bearer {tokens[scan.user]}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            scan.submitted = time.perf_counter()
            follow.start()
            try:
                async with session.post(
                    f"{base}/api/v1/scans",
                    data=form,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as response:
                    body = await response.json(content_type=None)
                    scan.accepted = time.perf_counter()
                    if response.status != 202:
                        scan.error = f"{response.status} {json.dumps(body)[:200]}"
                        follow.terminal(scan, "error", scan.accepted, "submit")
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                scan.error = f"{type(exc).__name__}: {exc}"
                follow.terminal(scan, "error", time.perf_counter(), "submit")
                return
            scan.scan_id = str(body["id"])
            scan.status = str(body["status"])
            follow.by_id[scan.scan_id] = scan
            if (early := follow.events.pop(scan.scan_id, None)) is not None:
                follow.terminal(scan, early[0], early[1], "ws")

        started = time.perf_counter()
        submitting = asyncio.gather(*(submit(scan) for scan in scans))
        try:
            async with asyncio.timeout(timeout):
                await submitting
                submitted_in = time.perf_counter() - started
                await follow.done.wait()
        except TimeoutError:
            submitted_in = time.perf_counter() - started
        elapsed = time.perf_counter() - started
        sweeper.cancel()
        for task in followers:
            task.cancel()
        await asyncio.gather(sweeper, *followers, return_exceptions=True)
        if not submitting.done():
            submitting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await submitting

        if mark:
            await asyncio.to_thread(mark.touch)
        # The final word on every accepted scan is the scan resource itself.
        verified: dict[str, int] = {}
        limit = asyncio.Semaphore(32)

        async def verify(scan: Scan) -> None:
            async with limit:
                view = await get_scan(session, base, tokens[scan.user], scan.scan_id)
            status = "unreadable" if view is None else str(view.get("status"))
            if status == "completed" and not (view or {}).get("result"):
                status = "completed-without-result"
            verified[status] = verified.get(status, 0) + 1

        await asyncio.gather(*(verify(s) for s in scans if s.scan_id))

    completed = [s for s in scans if s.status == "completed"]
    errors = [s.error for s in scans if s.error]
    # Where the time goes, from the progress events: (from, to) -> seconds per scan.
    stages: dict[str, list[float]] = {}
    for scan in completed:
        marks = follow.marks.get(scan.scan_id, {})
        points = [("submit", scan.submitted), ("202", scan.accepted)]
        points += [(p, marks[p]) for p in ("25", "50", "75", "100") if p in marks]
        points.append(("completed", scan.finished))
        for (a, at), (b, bt) in itertools.pairwise(points):
            stages.setdefault(f"{a}->{b}", []).append(bt - at)
    return {
        "scans": count,
        "completed": len(completed),
        "statuses": {k: sum(1 for s in scans if s.status == k) for k in {s.status for s in scans}},
        "verified": verified,
        "latencies": [s.finished - s.submitted for s in completed],
        "submit_latencies": [s.accepted - s.submitted for s in scans if s.accepted],
        "stages": {k: [percentile(v, 0.5), percentile(v, 0.95)] for k, v in stages.items()},
        "seen_by_poll": sum(1 for s in completed if s.seen_by == "poll"),
        "submitted_in": submitted_in,
        "elapsed": elapsed,
        "peak_in_flight": follow.peak,
        "ws_reconnects": follow.ws_closes,
        "errors": len(errors),
        "first_errors": errors[:3],
    }
