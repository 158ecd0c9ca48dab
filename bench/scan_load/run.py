"""Scan pipeline under load: many concurrent scans through the whole system, against a fake
OpenAI-compatible provider with the production latencies, and the same model calls made
directly as the raw baseline, in one run.

Starts, as separate processes on real RabbitMQ (a fresh vhost, deleted at the end),
PostgreSQL (database `eco2_bench_scan`, dropped and created, `eco2 migrate`) and Redis
(db 13, flushed): the fake provider (Starlette + uvicorn, `POST /v1/chat/completions`,
vision 4.5 s and answer 4.8 s by default), then `eco2 run` accounts, scan, recycling,
character, storage (one process), ai (one process, `ECO2_AI_PROVIDER=openai` on the fake)
and gateway. A load process registers a few users, opens one WebSocket per user, submits
`--scans` photos at once (multipart `POST /api/v1/scans`, each a distinct small JPEG with
the hint "라벨 뗀 투명 페트병") and follows every scan to its terminal event; every
scan's final state is then checked with `GET /api/v1/scans/{id}`.

Printed:
- completed scans and their share                          (target 100 %)
- end-to-end latency, submit to completed, p50/p95         (target p95 <= 12 s)
- the raw baseline: as many concurrent vision + answer call pairs made with httpx
  straight to the fake, p50/p95, and the ratio of the pipeline's p95 to it
- the AI worker's peak RSS over its idle RSS (after a warm-up scan), per in-flight scan
                                                           (target <= 100 KB)
- CPU seconds each process used during the load

    python bench/scan_load.py [--scans N] [--users U] [--vision S] [--answer S] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: keep this folder from shadowing the project packages
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import aiohttp
import asyncpg
import redis.asyncio as aioredis

from bench.servers import ECO2, POSTGRES, RABBIT, ROOT, free_port

REDIS = "redis://127.0.0.1:6379/13"
RABBITMQCTL = os.environ.get("RABBITMQCTL", "rabbitmqctl")
BENCH_DB = "eco2_bench_scan"
HINT = "라벨 뗀 투명 페트병"
MODEL = "fake-vision"
# What the fake answers a vision request with: a clear PET bottle, nothing wrong with it.
CLASSIFICATION = {
    "major": "재활용폐기물",
    "middle": "무색페트병",
    "minor": "생수병",
    "situation_tags": [],
}
ANSWER = "라벨을 뗀 투명 페트병은 내용물을 비우고 찌그러뜨려 투명 페트병 전용함에 버려요. 잘했어요!"
SERVICES = ("accounts", "scan", "recycling", "character", "storage", "ai", "gateway")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# --- the fake provider (its own process) -----------------------------------------------


@dataclass
class FakeStats:
    vision: int = 0
    answer: int = 0
    in_flight: int = 0
    peak: int = 0


def serve_fake(port: int, vision: float, answer: float) -> None:
    """`POST /v1/chat/completions` after the simulated latency; `GET|DELETE /stats`."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    stats = FakeStats()
    vision_content = json.dumps(CLASSIFICATION, ensure_ascii=False)

    async def completions(request: Request) -> Response:
        body = await request.json()
        structured = "response_format" in body
        stats.in_flight += 1
        stats.peak = max(stats.peak, stats.in_flight)
        try:
            await asyncio.sleep(vision if structured else answer)
        finally:
            stats.in_flight -= 1
        if structured:
            stats.vision += 1
        else:
            stats.answer += 1
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", MODEL),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": vision_content if structured else ANSWER,
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
            }
        )

    async def read_stats(request: Request) -> Response:
        answer_ = JSONResponse(stats.__dict__.copy())
        if request.method == "DELETE":
            stats.vision = stats.answer = 0
            stats.peak = stats.in_flight
        return answer_

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/stats", read_stats, methods=["GET", "DELETE"]),
        ]
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=60,
    )


# --- the raw baseline (its own process) ------------------------------------------------


def vision_body(jpeg: bytes) -> dict[str, Any]:
    """The vision request the `openai` provider sends, built by the same prompt code."""
    from services.ai import prompts

    return {
        "model": MODEL,
        "messages": prompts.classify_messages(HINT, jpeg),
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "classification",
                "strict": True,
                "schema": prompts.CLASSIFICATION_SCHEMA,
            },
        },
        "temperature": 0.0,
    }


def answer_body() -> dict[str, Any]:
    from services.ai import prompts

    facts = {"분류": CLASSIFICATION, "배출 방법": ["내용물을 비워요", "라벨을 떼요"]}
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": prompts.PERSONA},
            {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
        ],
        "max_tokens": 400,
        "temperature": 0.4,
    }


async def raw_pairs(base: str, count: int, timeout: float) -> dict[str, Any]:
    """`count` concurrent (vision, then answer) call pairs with httpx; their latencies.

    Each pair has a client (one keep-alive connection) of its own: httpcore's pool scans
    every connection for every request, which at a thousand connections would cost the
    baseline more CPU than the calls themselves.
    """
    import ssl

    import httpx

    bodies = [json.dumps(vision_body(photo(i))).encode() for i in range(count)]
    answer = json.dumps(answer_body()).encode()
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    context = ssl.create_default_context()  # unused on http://, built once, not per client
    clients = [
        httpx.AsyncClient(base_url=base, timeout=timeout, verify=context) for _ in range(count)
    ]
    try:

        async def pair(i: int) -> None:
            started = time.perf_counter()
            try:
                for body in (bodies[i], answer):
                    response = await clients[i].post(
                        "/chat/completions", content=body, headers=headers
                    )
                    response.raise_for_status()
                    response.json()["choices"][0]["message"]["content"]
            except Exception as exc:  # counted and shown, not raised: a baseline, not a test
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(pair(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return {
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies, default=float("nan")),
        "ok": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "elapsed": elapsed,
    }


# --- the load process -------------------------------------------------------------------


def photo(index: int) -> bytes:
    """A small JPEG unique to `index` (so the classification cache never answers for it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 72), (40 + index % 7 * 20, 150, 200 - index % 11 * 10))
    draw = ImageDraw.Draw(image)
    for bit in range(16):  # the index in 16 black or white blocks
        colour = (255, 255, 255) if index >> bit & 1 else (0, 0, 0)
        x, y = bit % 8 * 12, 48 + bit // 8 * 12
        draw.rectangle((x, y, x + 11, y + 11), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


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


async def _follow_user(
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


async def _get_scan(
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


async def _sweep(
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
            view = await _get_scan(session, base, tokens[scan.user], scan.scan_id)
            if view is not None and view.get("status") in ("completed", "failed"):
                follow.terminal(scan, str(view["status"]), time.perf_counter(), "poll")


def _touch(path: str) -> None:
    Path(path).touch()


def _exists(path: Path) -> bool:
    return path.exists()


async def load_scans(
    base: str, tokens: list[str], count: int, timeout: float, warmup: bool, mark: str | None
) -> dict[str, Any]:
    """Submit `count` scans at once spread over the users; follow each to its end.

    `mark` is a file created once every scan is followed, before the checks by GET, so
    the parent measures the CPU of the load alone."""
    photos = [photo(i + (60_000 if warmup else 0)) for i in range(count)]
    scans = [Scan(i, i % len(tokens)) for i in range(count)]
    follow = Follow(left=count)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        readies = [asyncio.Event() for _ in tokens]
        followers = [
            asyncio.create_task(_follow_user(session, base, token, follow, ready))
            for token, ready in zip(tokens, readies, strict=True)
        ]
        async with asyncio.timeout(30):
            await asyncio.gather(*(r.wait() for r in readies))
        sweeper = asyncio.create_task(_sweep(session, base, tokens, scans, follow, 60.0))

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
            _touch(mark)
        # The final word on every accepted scan is the scan resource itself.
        verified: dict[str, int] = {}
        limit = asyncio.Semaphore(32)

        async def verify(scan: Scan) -> None:
            async with limit:
                view = await _get_scan(session, base, tokens[scan.user], scan.scan_id)
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


# --- the system under test --------------------------------------------------------------


def _status_kib(pid: int, field_name: str) -> int:
    """A `/proc/<pid>/status` memory field (VmRSS, VmHWM) in KiB; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


SERVERS = {"beam.smp": "rabbitmq", "redis-server": "redis", "postgres": "postgresql"}


def _server_cpu() -> dict[str, float]:
    """CPU seconds so far of the shared servers (every process of each), by server."""
    totals = dict.fromkeys(SERVERS.values(), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in SERVERS:
            totals[SERVERS[comm]] += _cpu_seconds(int(entry.name))
    return totals


async def _run(args: list[str], timeout: float = 60.0) -> str:
    """Run a short command to its end; its output, or an error naming it."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"{' '.join(args)} took more than {timeout} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {out.decode(errors='replace')}")
    return out.decode(errors="replace")


@dataclass
class System:
    """Everything this run started or created, undone in reverse by `close`."""

    workdir: Path
    keep: bool
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    cleanups: list[tuple[str, Callable[[], Awaitable[None]]]] = field(default_factory=list)
    failed: bool = False

    async def spawn(self, name: str, args: list[str], env: dict[str, str]) -> int:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *args,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C reaches the bench only, which stops them
            )
        self.processes[name] = process
        return process.pid

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.returncode is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    async def stop(self, name: str, grace: float = 20.0) -> None:
        process = self.processes.pop(name)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                print(f"  {name} ignored SIGTERM for {grace} s; killing it", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()

    async def close(self) -> None:
        # The gateway first (no new work), the workers next, then the rest, each in parallel.
        for batch in (["gateway", "load"], ["ai", "storage"], list(self.processes)):
            names = [n for n in batch if n in self.processes]
            await asyncio.gather(*(self.stop(n) for n in names), return_exceptions=True)
        for what, cleanup in reversed(self.cleanups):
            try:
                await asyncio.wait_for(cleanup(), 120)
            except Exception as exc:
                print(f"  cleanup of {what} failed: {exc!r}", file=sys.stderr)
        if self.keep or self.failed:
            print(f"logs and data kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.asynccontextmanager
async def system(keep: bool) -> AsyncIterator[System]:
    sut = System(Path(tempfile.mkdtemp(prefix="eco2-bench-scan-")), keep)
    try:
        yield sut
    except BaseException:
        sut.failed = True
        raise
    finally:
        await asyncio.shield(sut.close())


async def _rabbitmqctl(*args: str, patience: float = 90.0) -> None:
    """`rabbitmqctl args`, retried while the broker's app is down (restarted by others)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            await _run([RABBITMQCTL, *args])
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(2.0)


async def fresh_vhost(sut: System) -> str:
    vhost = f"eco2-bench-scan-{uuid.uuid4().hex[:8]}"

    async def delete() -> None:
        await _rabbitmqctl("delete_vhost", vhost)

    sut.cleanups.append((f"vhost {vhost}", delete))  # first: a retried add may have worked
    await _rabbitmqctl("add_vhost", vhost)
    await _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return RABBIT.rstrip("/") + "/" + vhost


async def fresh_database(sut: System) -> str:
    async def drop() -> None:
        admin = await asyncpg.connect(POSTGRES)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        finally:
            await admin.close()

    await drop()
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await admin.close()
    sut.cleanups.append((f"database {BENCH_DB}", drop))
    return POSTGRES.rsplit("/", 1)[0] + f"/{BENCH_DB}"


async def fresh_redis(sut: System) -> str:
    async def flush() -> None:
        client = aioredis.from_url(REDIS)
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    await flush()
    sut.cleanups.append(("redis db 13", flush))
    return REDIS


async def wait_http(sut: System, url: str, timeout: float = 90.0) -> None:
    async with asyncio.timeout(timeout), aiohttp.ClientSession() as session:
        while True:
            sut.check_alive()
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def register(base: str, users: int) -> list[str]:
    tokens = []
    async with aiohttp.ClientSession() as session:
        for n in range(users):
            body = {
                "email": f"bench-scan-{n}-{uuid.uuid4().hex[:8]}@example.com",
                "password": "bench scan pass 123",
                "nickname": f"bench{n}",
            }
            for _ in range(30):  # the accounts service may still be starting
                async with session.post(f"{base}/api/v1/auth/register", json=body) as response:
                    answer = await response.json()
                    if response.status == 201:
                        tokens.append(str(answer["access_token"]))
                        break
                    if response.status != 503:
                        raise RuntimeError(f"register failed: {response.status} {answer}")
                await asyncio.sleep(1.0)
            else:
                raise RuntimeError("register kept answering 503")
    return tokens


async def child_json(sut: System, name: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Run a part of this benchmark in a process of its own; its JSON answer."""
    await sut.spawn(name, [sys.executable, __file__, *args], {})
    process = sut.processes[name]
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        raise RuntimeError(f"{name} took more than {timeout} s") from None
    finally:
        if process.returncode is not None:
            sut.processes.pop(name, None)
    out = (sut.workdir / f"{name}.log").read_text(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{out[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


@dataclass
class Sampler:
    """Peak RSS of one process, sampled while the load runs."""

    pid: int
    pids: dict[str, int]
    peak_rss: int = 0
    running: bool = True
    cpu: dict[str, float] = field(default_factory=dict)
    servers: dict[str, float] = field(default_factory=dict)

    async def run(self, mark: Path, every: float = 0.05) -> None:
        """Sample until stopped; the CPU times once `mark` exists (or at the stop)."""
        while self.running:
            self.peak_rss = max(self.peak_rss, _status_kib(self.pid, "VmRSS"))
            if not self.cpu and _exists(mark):
                self.snapshot()
            await asyncio.sleep(every)
        if not self.cpu:
            self.snapshot()

    def snapshot(self) -> None:
        self.cpu = {name: _cpu_seconds(pid) for name, pid in self.pids.items()}
        self.servers = _server_cpu()


async def fake_stats(base: str, reset: bool = False) -> dict[str, Any]:
    method = "DELETE" if reset else "GET"
    async with aiohttp.ClientSession() as session, session.request(method, base) as response:
        stats: dict[str, Any] = await response.json()
        return stats


def line(label: str, text: str) -> None:
    print(f"{label:28s} {text}", flush=True)


async def main(args: argparse.Namespace) -> int:
    scans = args.scans
    async with system(args.keep) as sut:
        fake_port, gateway_port = free_port(), free_port()
        fake = f"http://127.0.0.1:{fake_port}"
        latency = ["--vision", str(args.vision), "--answer", str(args.answer)]
        await sut.spawn(
            "fake", [sys.executable, __file__, "--serve-fake", str(fake_port), *latency], {}
        )
        bus_url = await fresh_vhost(sut)
        database = await fresh_database(sut)
        redis_url = await fresh_redis(sut)
        await wait_http(sut, f"{fake}/stats")

        # The raw baseline first, on an idle machine.
        line("scans", f"{scans} concurrent, {args.users} users, one AI and one storage worker")
        line("simulated model latency", f"vision {args.vision} s, answer {args.answer} s")
        await child_json(sut, "raw-warmup", ["--raw", fake + "/v1", "--scans", "4"], 60)
        raw = await child_json(
            sut, "raw", ["--raw", fake + "/v1", "--scans", str(scans)], args.timeout
        )
        await fake_stats(fake + "/stats", reset=True)

        concurrency = 2 * scans + 64
        rpm = 20 * scans + 1000
        prefetch = min(scans + 200, 10_000)
        env = {
            "ECO2_BUS_URL": bus_url,
            "ECO2_DATABASE_URL": database,
            "ECO2_REDIS_URL": redis_url,
            "ECO2_DATA_DIR": str(sut.workdir / "data"),
            "ECO2_JWT_SECRET": uuid.uuid4().hex * 2,
            "ECO2_HTTP_PORT": str(gateway_port),
            "ECO2_LOG_LEVEL": "WARNING",
            "ECO2_ACCESS_TOKEN_TTL": "3600",
        }
        ai_env = {
            "ECO2_AI_PROVIDER": "openai",
            "ECO2_OPENAI_BASE_URL": fake + "/v1",
            "ECO2_OPENAI_MODEL": MODEL,
            "ECO2_OPENAI_MAX_CONCURRENCY": str(concurrency),
            "ECO2_OPENAI_REQUESTS_PER_MINUTE": str(rpm),
            "ECO2_OPENAI_TIMEOUT": "60",
            "ECO2_PREFETCH": str(prefetch),
        }
        line(
            "AI worker settings",
            " ".join(f"{k}={v}" for k, v in ai_env.items() if k != "ECO2_OPENAI_BASE_URL"),
        )
        await sut.spawn("migrate", [ECO2, "migrate"], env)
        if await asyncio.wait_for(sut.processes["migrate"].wait(), 120) != 0:
            raise RuntimeError((sut.workdir / "migrate.log").read_text())
        sut.processes.pop("migrate")

        pids: dict[str, int] = {}
        for name in SERVICES:
            run_env = {**env, **ai_env} if name == "ai" else env
            pids[name] = await sut.spawn(name, [ECO2, "run", name], run_env)
        pids["fake"] = sut.processes["fake"].pid
        base = f"http://127.0.0.1:{gateway_port}"
        await wait_http(sut, f"{base}/readyz")
        tokens = await register(base, args.users)
        tokens_file = sut.workdir / "tokens.json"
        tokens_file.write_text(json.dumps(tokens))

        # A warm-up round through the whole pipeline: every process has started, connected
        # and compiled its paths; the AI worker's RSS after it is the idle figure.
        load = ["--load", base, "--tokens", str(tokens_file), "--timeout", str(args.timeout)]
        warm = await child_json(sut, "warmup", [*load, "--scans", "4", "--warmup"], 120)
        sut.check_alive()
        if warm["completed"] != 4:
            raise RuntimeError(f"the warm-up scans did not complete: {warm}")
        await asyncio.sleep(2.0)
        await fake_stats(fake + "/stats", reset=True)
        ai_pid = pids["ai"]
        idle_rss, idle_hwm = _status_kib(ai_pid, "VmRSS"), _status_kib(ai_pid, "VmHWM")
        cpu_before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
        servers_before = _server_cpu()

        load_before = f"{os.getloadavg()[0]:.1f}"
        sampler = Sampler(ai_pid, pids)
        mark = sut.workdir / "followed"
        sampling = asyncio.create_task(sampler.run(mark))
        try:
            result = await child_json(
                sut, "load", [*load, "--scans", str(scans), "--mark", str(mark)], args.timeout + 120
            )
        finally:
            sampler.running = False
            await sampling
        end_hwm = _status_kib(ai_pid, "VmHWM")
        cpu = {name: sampler.cpu[name] - cpu_before[name] for name in pids}
        servers = {k: sampler.servers[k] - servers_before[k] for k in servers_before}
        stats = await fake_stats(fake + "/stats")
        sut.check_alive()

        # --- the figures
        latencies: list[float] = result["latencies"]
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        share = result["completed"] / scans
        line(
            "completed",
            f"{result['completed']}/{scans} ({share:.1%}, target 100%)"
            f"  by status {result['statuses']}  checked by GET {result['verified']}",
        )
        if result["errors"]:
            line("submit errors", f"{result['errors']}: {result['first_errors']}")
        if result["seen_by_poll"]:
            line("finished seen by polling", str(result["seen_by_poll"]))
        line(
            "completion rate",
            f"{result['completed'] / result['elapsed']:.1f} scans/s"
            f" (all submitted in {result['submitted_in']:.2f} s, done in"
            f" {result['elapsed']:.1f} s)",
        )
        sub = result["submit_latencies"]
        line(
            "submit (POST -> 202)",
            f"p50 {percentile(sub, 0.5) * 1000:.0f} ms  p95 {percentile(sub, 0.95) * 1000:.0f} ms",
        )
        line(
            "pipeline submit->completed",
            f"p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(latencies, default=float('nan')):.2f} s"
            f"  (target p95 <= 12 s)",
        )
        line(
            "raw vision+answer pairs",
            f"p50 {raw['p50']:.2f} s  p95 {raw['p95']:.2f} s  max {raw['max']:.2f} s"
            f"  ok {raw['ok']}  errors {raw['errors']} {raw['first_error']}",
        )
        line("pipeline p95 / raw p95", f"{p95 / raw['p95']:.2f}")
        line(
            "stages p50/p95 (s)",
            "  ".join(f"{k} {a:.2f}/{b:.2f}" for k, (a, b) in result["stages"].items()),
        )
        line(
            "fake provider calls",
            f"vision {stats['vision']}, answer {stats['answer']}, peak concurrent {stats['peak']}",
        )
        peak = max(sampler.peak_rss, end_hwm if end_hwm > idle_hwm else 0)
        in_flight = max(result["peak_in_flight"], 1)
        per_scan = (peak - idle_rss) / in_flight
        line(
            "AI worker memory",
            f"idle RSS {idle_rss / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB,"
            f" peak in-flight scans {result['peak_in_flight']}"
            f" -> {per_scan:.1f} KiB per in-flight scan (target <= 100)",
        )
        line("load average", f"before {load_before}, after {os.getloadavg()[0]:.1f} (1 min)")
        line(
            "CPU seconds (submit to done)",
            ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
            + f"; total {sum(cpu.values()):.1f} = {sum(cpu.values()) / scans * 1000:.1f} ms"
            " per scan",
        )
        line(
            "  shared servers",
            ", ".join(f"{name} {seconds:.1f}" for name, seconds in servers.items())
            + " (every process of each server, other users' load included)",
        )
        ok = share == 1.0 and p95 <= 12.0 and per_scan <= 100.0
        line("targets", "met" if ok else "NOT met")
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--vision", type=float, default=4.5, help="seconds per vision call")
    parser.add_argument("--answer", type=float, default=4.8, help="seconds per answer call")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the load")
    parser.add_argument("--keep", action="store_true", help="keep logs and data")
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mark", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.scans < 1 or options.users < 1:
        parser.error("--scans and --users must be at least 1")
    return options


async def _guarded(args: argparse.Namespace) -> int:
    """`main`, cancelled (so everything it started is stopped) on SIGTERM as on Ctrl-C."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await main(args)


if __name__ == "__main__":
    options = parse()
    if options.serve_fake:
        serve_fake(options.serve_fake, options.vision, options.answer)
    elif options.raw:
        print(json.dumps(asyncio.run(raw_pairs(options.raw, options.scans, options.timeout))))
    elif options.load:
        tokens = json.loads(Path(options.tokens).read_text())
        print(
            json.dumps(
                asyncio.run(
                    load_scans(
                        options.load,
                        tokens,
                        options.scans,
                        options.timeout,
                        options.warmup,
                        options.mark,
                    )
                )
            )
        )
    else:
        sys.exit(asyncio.run(_guarded(options)))
