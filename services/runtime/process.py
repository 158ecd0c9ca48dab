"""Running components in this process until SIGINT/SIGTERM, then shutting down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Generator, Sequence
from typing import Any

import uvicorn
from prometheus_client import start_http_server
from starlette.applications import Starlette

from services.runtime import components
from services.runtime.migrate import migrate, package_migrations
from services.runtime.observability import configure_tracing
from services.runtime.resources import describe, open_resources
from services.runtime.settings import Settings

log = logging.getLogger("eco2")


class _Server(uvicorn.Server):
    """uvicorn, minus its own signal handling: this process owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def proxy_options(trusted_proxies: Sequence[str]) -> dict[str, Any]:
    """uvicorn's forwarded-header options: believed only from `trusted_proxies`.

    uvicorn's own default trusts X-Forwarded-For from 127.0.0.1 (and FORWARDED_ALLOW_IPS),
    which lets anything on the host pick its client address; here nothing is trusted
    unless `ECO2_TRUSTED_PROXIES` names it.
    """
    if not trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted_proxies)}


async def _serve_http(app: Starlette, settings: Settings, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=max(int(settings.shutdown_grace), 1),
        **proxy_options(settings.trusted_proxies),
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[_listen(settings)]))
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.02)
    log.info("eco2 serving on http://%s:%d", settings.http_host, settings.http_port)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await serving


def _listen(settings: Settings) -> socket.socket:
    """Bind here, so a taken port is a clear error rather than uvicorn's exit from a task."""
    family, kind, proto, _, address = socket.getaddrinfo(
        settings.http_host, settings.http_port, type=socket.SOCK_STREAM
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {settings.http_host}:{settings.http_port} "
            f"(ECO2_HTTP_HOST/ECO2_HTTP_PORT): {exc.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


async def run(settings: Settings, names: Sequence[str], *, apply_migrations: bool) -> None:
    """Run `names` together until a signal; `eco2 up` runs them all, `eco2 run` one."""
    stop = _stop_on_signals()
    tracing = configure_tracing(settings, names[0] if len(names) == 1 else "all")
    async with open_resources(settings) as resources, contextlib.AsyncExitStack() as stack:
        if apply_migrations:
            await migrate(resources.database_url, package_migrations(components.MIGRATIONS))
        app = None
        for name in names:
            if name == "gateway":
                app, subscriptions = components.gateway(resources)
                for subscription in subscriptions:
                    resources.bus.subscribe(subscription)
                continue
            for subscription in await components.CONSUMERS[name](resources, stack):
                resources.bus.subscribe(subscription)
        # Closed first: in-flight handlers finish before the journals they write close.
        stack.push_async_callback(resources.bus.close)
        await resources.bus.start()
        log.info("eco2 running %s on %s", ", ".join(names), describe(resources))
        if settings.metrics_port:  # the gateway's too: a port its Ingress never routes
            start_http_server(settings.metrics_port)
        if app is not None:
            await _serve_http(app, settings, stop)
        else:
            await stop.wait()
        log.info("eco2 stopping: finishing in-flight work")
    if tracing is not None:
        tracing.shutdown()
    log.info("eco2 stopped")
