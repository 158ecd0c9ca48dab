"""Chat under load: many concurrent answers streamed through the whole system from a fake
OpenAI-compatible provider, and the same streams read straight from the fake as the raw
baseline, in one run.

Starts, as separate processes: the fake provider (`support/fake_openai.py`: the first chunk
after `--first-delay` seconds, then `--rate` tokens a second), and `eco2 up` (every
component in one process on the memory bus, on a fresh database of the test PostgreSQL
and a database of the test Redis, `ECO2_AI_PROVIDER=openai` on the fake). The real Redis,
as deployed: the in-process one of `make up` wakes every waiting SSE stream on each write,
which at 200 streams is most of the process's CPU. The load (this process) registers `--chats`
users, starts a chat for each, and at once sends every chat a message and follows its
answer's SSE stream to the end. Then it opens as many streams straight to the fake.

Printed, per stream, p50/p95, system vs raw:
- time to the first delta (send -> first `delta` event; raw: request -> first token),
  and the overhead (target p95 <= 250 ms over the raw)
- delivered tokens/s (tokens over first -> last delta; target >= 0.9 of the raw rate)
- answers completed (target all)
- CPU ms per 1,000 streamed tokens of each process (eco2 up, the fake, this load)

    python bench/chat.py [--chats N] [--rate TOKENS_PER_S] [--first-delay S] [--log FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

if not __package__:  # run as a file: keep this folder from shadowing the project packages
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from support.databases import flushed_redis, fresh_database
from support.env import ECO2, ROOT, redis_db
from support.env import POSTGRES_URL as POSTGRES
from support.fake_openai import STREAMED_ANSWER as ANSWER
from support.servers import free_port

MODEL = "fake-chat"
QUESTION = "투명 페트병은 어떻게 버려?"
SECRET = "bench-secret-" + "x" * 40
STREAM_BUDGET = 300.0  # seconds one answer may take, send to terminal event
REDIS = redis_db(12)  # the real server: its own database, flushed before and after
REPEAT = 4  # the fake's answer, four times: about 70 tokens, over 2 s at 30 tokens/s


def _mean(values: list[int]) -> float:
    return statistics.mean(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Stream:
    """One stream's timings: first token/delta after the start, and the delivered rate."""

    first: float = float("nan")
    accepted: float = float("nan")  # send -> 202 (system only)
    opened: float = float("nan")  # send -> the first event, `context` (system only)
    status: int = 0  # the SSE response's status (system only)
    tokens: int = 0
    last: float = 0.0
    ended: str = ""

    def rate(self) -> float:
        span = self.last - self.first
        return (self.tokens - 1) / span if span > 0 and self.tokens > 1 else float("nan")


@dataclass
class Run:
    system: list[Stream] = field(default_factory=list)
    raw: list[Stream] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


FAKE = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from support.fake_openai import STREAMED_ANSWER as ANSWER, FakeChat
fake = FakeChat(answer=" ".join([ANSWER] * {repeat}), first_delay={delay}, tokens_per_second={rate})
uvicorn.run(fake.app(), host="127.0.0.1", port={port}, log_level="warning")
"""


async def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                await client.get(url)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def processes(
    database_url: str,
    redis_url: str,
    root: Path,
    rate: float,
    delay: float,
    keep_log: Path | None,
) -> AsyncIterator[tuple[tuple[str, str], dict[str, int]]]:
    fake_port, http_port = free_port(), free_port()
    script = FAKE.format(root=str(ROOT), delay=delay, rate=rate, port=fake_port, repeat=REPEAT)
    fake = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    env = {
        **os.environ,
        "ECO2_DATABASE_URL": database_url,
        "ECO2_REDIS_URL": redis_url,
        "ECO2_DATA_DIR": str(root / "var"),
        "ECO2_HTTP_PORT": str(http_port),
        "ECO2_JWT_SECRET": SECRET,
        "ECO2_AI_PROVIDER": "openai",
        "ECO2_OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
        "ECO2_OPENAI_CHAT_MODEL": MODEL,
        "ECO2_OPENAI_MAX_CONCURRENCY": "1000",
        "ECO2_OPENAI_REQUESTS_PER_MINUTE": "100000",
        "ECO2_PREFETCH": "1000",
        "ECO2_DATABASE_POOL_SIZE": "20",
        "ECO2_PASSWORD_HASH_MEMORY_KIB": "1024",
        "ECO2_PASSWORD_HASH_ITERATIONS": "1",
        "ECO2_REQUEST_TIMEOUT": "30",
        "ECO2_LOG_LEVEL": "WARNING",
        # Every bench user registers from this one address, and streams one answer.
        "ECO2_REGISTRATION_MAX_PER_CLIENT": "1000000",
    }
    log = (root / "eco2-up.log").open("wb")
    up = await asyncio.create_subprocess_exec(
        ECO2, "up", env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await _wait_http(f"http://127.0.0.1:{fake_port}/")
        await _wait_http(f"http://127.0.0.1:{http_port}/healthz", 120)
        urls = (f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{fake_port}")
        yield urls, {"eco2 up": up.pid, "fake": fake.pid}
    finally:
        for process in (up, fake):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
        log.close()
        if keep_log is not None:
            shutil.copyfile(root / "eco2-up.log", keep_log)


async def _user(client: httpx.AsyncClient, index: int) -> tuple[dict[str, str], str]:
    account = {
        "email": f"bench-{uuid.uuid4().hex[:10]}@example.com",
        "password": "correct horse battery",
        "nickname": f"b{index}",
    }
    session = (await client.post("/api/v1/auth/register", json=account)).json()
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    chat = await client.post("/api/v1/chats", json={"title": "bench"}, headers=headers)
    return headers, chat.json()["id"]


async def _through(client: httpx.AsyncClient, headers: dict[str, str], chat_id: str) -> Stream:
    """One answer through the system; a connection error, or no end within `STREAM_BUDGET`
    seconds (keep-alive comments keep the read timeout from firing), is its ending, not
    the run's."""
    stream = Stream()
    try:
        async with asyncio.timeout(STREAM_BUDGET):
            await _follow(client, headers, chat_id, stream)
    except httpx.TransportError as exc:
        stream.ended = f"{type(exc).__name__} after {stream.tokens} tokens"
    except TimeoutError:
        stream.ended = f"no end in {STREAM_BUDGET:.0f} s after {stream.tokens} tokens"
    return stream


async def _follow(
    client: httpx.AsyncClient, headers: dict[str, str], chat_id: str, stream: Stream
) -> None:
    started = time.monotonic()
    sent = await client.post(
        f"/api/v1/chats/{chat_id}/messages", json={"text": QUESTION}, headers=headers
    )
    stream.accepted = time.monotonic() - started
    if sent.status_code != 202:
        stream.ended = f"send {sent.status_code}"
        return
    url = sent.json()["events_url"]
    event = ""
    async with client.stream("GET", url, headers=headers) as response:
        stream.status = response.status_code
        if response.status_code != 200:
            await response.aread()
            stream.ended = f"events {response.status_code}"
            return
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if math.isnan(stream.opened):
                    stream.opened = time.monotonic() - started
            elif line.startswith("data: ") and event == "delta":
                now = time.monotonic() - started
                if stream.tokens == 0:
                    stream.first = now
                stream.tokens += len(json.loads(line[6:])["text"].split())
                stream.last = now
            elif line.startswith("data: ") and event in ("completed", "incomplete", "failed"):
                stream.ended = event
                break


async def _raw(client: httpx.AsyncClient, base: str) -> Stream:
    stream = Stream()
    body = {
        "model": MODEL,
        "stream": True,
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": 400,
    }
    started = time.monotonic()
    async with client.stream("POST", f"{base}/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            text = (choices[0].get("delta") or {}).get("content") or ""
            if text:
                now = time.monotonic() - started
                if stream.tokens == 0:
                    stream.first = now
                stream.tokens += 1
                stream.last = now
    stream.ended = "completed"
    return stream


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux `/proc/<pid>/stat`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    out = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    out["load (this process)"] = _cpu_seconds(os.getpid())
    return out


async def run(chats: int, rate: float, delay: float, keep_log: Path | None = None) -> Run:
    result = Run()
    with tempfile.TemporaryDirectory(prefix="eco2-bench-chat-") as tmp:
        from services.runtime.components import MIGRATIONS

        async with (
            fresh_database(POSTGRES, "eco2_bench_chat", MIGRATIONS) as url,
            flushed_redis(REDIS) as redis_url,
            processes(url, redis_url, Path(tmp), rate, delay, keep_log) as ((base, fake), pids),
        ):
            # A connection per request: none is reused after the server closed it while it
            # sat idle in the pool (a reset on the next request, under load).
            limits = httpx.Limits(max_connections=4 * chats, max_keepalive_connections=0)
            timeout = httpx.Timeout(120.0)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
                # One more person than measured: the warm-up's (connections, caches).
                *users, warm = await asyncio.gather(*(_user(client, i) for i in range(chats + 1)))
                await _through(client, *warm)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
                before = _cpu(pids)
                result.system = await asyncio.gather(*(_through(client, h, c) for h, c in users))
                after = _cpu(pids)
            async with httpx.AsyncClient(limits=limits, timeout=timeout) as raw_client:
                result.raw = await asyncio.gather(*(_raw(raw_client, fake) for _ in range(chats)))
            tokens = sum(s.tokens for s in result.system)
            result.cpu = {
                name: 1000 * (after[name] - before[name]) / max(1, tokens) * 1000 for name in before
            }
    return result


def report(result: Run, chats: int) -> list[str]:
    done = [s for s in result.system if s.ended == "completed"]
    first = [s.first for s in done]
    raw_first = [s.first for s in result.raw]
    rates = [s.rate() for s in done]
    raw_rates = [s.rate() for s in result.raw]
    over = [percentile(first, p) - percentile(raw_first, p) for p in (0.5, 0.95)]
    ratio = [percentile(rates, p) / percentile(raw_rates, p) for p in (0.5, 0.05)]
    endings: dict[str, int] = {}
    for s in result.system:
        endings[s.ended or "no terminal event"] = endings.get(s.ended or "no terminal event", 0) + 1
    lines = [
        f"answers completed: {len(done)}/{chats}  (target all); endings {endings}",
        f"first delta (s) p50/p95: system {percentile(first, 0.5):.3f}/"
        f"{percentile(first, 0.95):.3f}  raw {percentile(raw_first, 0.5):.3f}/"
        f"{percentile(raw_first, 0.95):.3f}",
        "send accepted (s) p50/p95: "
        f"{percentile([s.accepted for s in result.system], 0.5):.3f}/"
        f"{percentile([s.accepted for s in result.system], 0.95):.3f};"
        " first event (context) "
        f"{percentile([s.opened for s in done], 0.5):.3f}/"
        f"{percentile([s.opened for s in done], 0.95):.3f}",
        f"first-delta overhead p50/p95: {1000 * over[0]:.0f}/{1000 * over[1]:.0f} ms"
        "  (target p95 <= 250 ms)",
        f"delivered tokens/s p50/p5: system {percentile(rates, 0.5):.1f}/"
        f"{percentile(rates, 0.05):.1f}  raw {percentile(raw_rates, 0.5):.1f}/"
        f"{percentile(raw_rates, 0.05):.1f}  ratio {ratio[0]:.2f}/{ratio[1]:.2f}"
        "  (target >= 0.9)",
        f"mean tokens per answer: system {_mean([s.tokens for s in done]):.0f},"
        f" raw {statistics.mean(s.tokens for s in result.raw):.0f}",
        "CPU ms per 1,000 streamed tokens: "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in result.cpu.items()),
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rate", type=float, default=30.0, help="fake tokens per second")
    parser.add_argument("--first-delay", type=float, default=0.5)
    parser.add_argument("--log", type=Path, help="keep the log of `eco2 up` in this file")
    args = parser.parse_args()
    result = asyncio.run(run(args.chats, args.rate, args.first_delay, args.log))
    tokens = REPEAT * len(ANSWER.split())
    print(f"chat bench: {args.chats} concurrent chats, answers of {tokens} tokens")
    print("\n".join("  " + line for line in report(result, args.chats)))


if __name__ == "__main__":
    main()
