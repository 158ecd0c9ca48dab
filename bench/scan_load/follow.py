"""Following scans to their end: each user's WebSocket of events, and a polling safety net."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Scan:
    index: int
    user: int
    submitted: float = 0.0  # perf_counter when the POST was sent
    accepted: float = 0.0  # when the 202 arrived
    finished: float = 0.0  # when the terminal event arrived
    scan_id: str = ""
    status: str = "pending"  # pending, queued, completed, failed, error
    seen_by: str = ""  # "ws" or "poll"
    error: str = ""


@dataclass
class Follow:
    """Terminal events by scan id, whichever arrives first: the event or the 202."""

    events: dict[str, tuple[str, float]] = field(default_factory=dict)
    by_id: dict[str, Scan] = field(default_factory=dict)
    open_: int = 0
    peak: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    left: int = 0
    ws_closes: int = 0
    marks: dict[str, dict[str, float]] = field(default_factory=dict)  # scan id: event: time

    def mark(self, scan_id: str, what: str, at: float) -> None:
        self.marks.setdefault(scan_id, {}).setdefault(what, at)

    def start(self) -> None:
        self.open_ += 1
        self.peak = max(self.peak, self.open_)

    def terminal(self, scan: Scan, status: str, at: float, seen_by: str) -> None:
        if scan.finished:
            return
        scan.status, scan.finished, scan.seen_by = status, at, seen_by
        self.open_ -= 1
        self.left -= 1
        if self.left <= 0:
            self.done.set()

    def event(self, scan_id: str, status: str, at: float) -> None:
        scan = self.by_id.get(scan_id)
        if scan is None:
            self.events.setdefault(scan_id, (status, at))
        else:
            self.terminal(scan, status, at, "ws")


async def follow_user(
    session: aiohttp.ClientSession, base: str, token: str, follow: Follow, ready: asyncio.Event
) -> None:
    """One WebSocket of the user's events, reconnected if it closes."""
    url = base.replace("http", "ws", 1) + "/api/v1/ws"
    while True:
        try:
            async with session.ws_connect(
                url, headers={"Authorization": f"Bearer {token}"}, heartbeat=None, max_msg_size=0
            ) as ws:
                ready.set()
                async for frame in ws:
                    if frame.type != aiohttp.WSMsgType.TEXT:
                        continue
                    data = json.loads(frame.data)
                    kind = data.get("type")
                    if kind == "scan.progress":
                        follow.mark(data["scan_id"], str(data["progress"]), time.perf_counter())
                    elif kind == "scan.completed":
                        follow.event(data["scan_id"], "completed", time.perf_counter())
                    elif kind == "scan.failed":
                        follow.event(data["scan_id"], "failed", time.perf_counter())
                    elif kind == "ping":
                        await ws.send_str(json.dumps({"type": "pong"}))
        except aiohttp.ClientError:
            pass
        follow.ws_closes += 1
        await asyncio.sleep(0.5)


async def get_scan(
    session: aiohttp.ClientSession, base: str, token: str, scan_id: str
) -> dict[str, Any] | None:
    try:
        async with session.get(
            f"{base}/api/v1/scans/{scan_id}", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            if response.status != 200:
                return None
            answer: dict[str, Any] = await response.json()
            return answer
    except (aiohttp.ClientError, TimeoutError):
        return None


async def sweep(
    session: aiohttp.ClientSession,
    base: str,
    tokens: list[str],
    scans: list[Scan],
    follow: Follow,
    after: float,
) -> None:
    """Poll the scans accepted more than `after` seconds ago that no event finished yet:
    a safety net for a WebSocket that dropped events (counted as `poll`)."""
    while True:
        await asyncio.sleep(5.0)
        now = time.perf_counter()
        stale = [s for s in scans if s.scan_id and not s.finished and now - s.accepted > after]
        for scan in stale[:100]:
            view = await get_scan(session, base, tokens[scan.user], scan.scan_id)
            if view is not None and view.get("status") in ("completed", "failed"):
                follow.terminal(scan, str(view["status"]), time.perf_counter(), "poll")
