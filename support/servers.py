"""ASGI apps served by uvicorn on a free loopback port, for the length of a test."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import uvicorn
from starlette.applications import Starlette


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
async def serve(app: Starlette, send_buffer: int | None = None) -> AsyncIterator[str]:
    """Serve `app` on a free port; yields its host, `127.0.0.1:<port>`.

    `send_buffer` caps the accepted sockets' kernel send buffer.
    """
    sock = socket.socket()
    if send_buffer is not None:  # inherited by accepted sockets (Linux), no autotuning
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, ws_max_size=1 << 20
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
