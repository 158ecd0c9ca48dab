"""Servers on a free loopback port for the length of a test or benchmark, and waiting for one."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Protocol, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette

from services.runtime.process import proxy_options


class Fake(Protocol):
    """A stand-in for an outside service: its app, and the URL it is served at."""

    base: str

    def app(self) -> Starlette: ...


F = TypeVar("F", bound=Fake)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (for a server the test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the test runner owns the process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@asynccontextmanager
async def serve(
    app: Starlette, send_buffer: int | None = None, trusted_proxies: Sequence[str] = ()
) -> AsyncIterator[str]:
    """Serve `app` on a free port; yields its host, `127.0.0.1:<port>`.

    `send_buffer` caps the accepted sockets' kernel send buffer; forwarded headers are
    believed from `trusted_proxies` only, as `eco2 run gateway` does.
    """
    sock = socket.socket()
    if send_buffer is not None:  # inherited by accepted sockets (Linux), no autotuning
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
        ws_max_size=1 << 20,
        **proxy_options(trusted_proxies),
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                await serving
                raise RuntimeError("uvicorn did not start")
            await asyncio.sleep(0.01)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


@asynccontextmanager
async def serve_fake(fake: F, path: str = "") -> AsyncIterator[F]:
    """Serve `fake.app()` on a free port, with `fake.base` its URL (and `path`); yields `fake`."""
    async with serve(fake.app()) as host:
        fake.base = f"http://{host}{path}"
        yield fake


async def wait_http(
    url: str, timeout: float = 90.0, check: Callable[[], None] | None = None
) -> None:
    """Return once `url` answers 200; `check` runs before every try (to raise, say, when
    the process that should serve it has exited)."""
    async with asyncio.timeout(timeout), httpx.AsyncClient() as client:
        while True:
            if check is not None:
                check()
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


@contextmanager
def served_in_thread(app: Starlette) -> Iterator[str]:
    """`app` on a free loopback port, served by uvicorn in a thread of its own; its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
