"""The Starlette application: its routes, the web client, and the subscriptions that feed it.

`build(deps)` returns the app and the bus subscriptions of this instance (see
`gateway.consumers`); the composition root subscribes them before starting the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bus.ports import Subscription
from gateway import asyncapi, errors, openapi, webapp
from gateway.auth import Revocations, TokenVerifier
from gateway.consumers import event_log_subscription, instance_subscription
from gateway.context import Gateway
from gateway.deps import Check, GatewayDeps, Limits, OAuthClient
from gateway.eventlog import EventLog
from gateway.middleware import RequestContext
from gateway.ratelimit import LoginLimiter
from gateway.realtime import Hub
from gateway.routes import (
    auth,
    characters,
    events,
    oauth,
    realtime,
    recycling,
    scans,
    uploads,
    users,
)
from gateway.routing import Operation, to_routes

__all__ = ["Check", "GatewayDeps", "Limits", "OAuthClient", "build", "create_app"]

log = logging.getLogger(__name__)

TITLE = "Eco² API"
VERSION = "1.0.0"


def build(deps: GatewayDeps) -> tuple[Starlette, list[Subscription]]:
    """The app and its subscriptions, sharing one hub and revocation cache."""
    limits = deps.limits
    revocations = Revocations(deps.redis, limits.access_token_ttl)
    gw = Gateway(
        deps,
        TokenVerifier(deps.jwt_secret, revocations),
        LoginLimiter(
            deps.redis,
            per_email=limits.login_max_failures,
            per_client=limits.login_max_failures_per_client,
            window=limits.login_failure_window,
        ),
        Hub(),
        EventLog(
            deps.redis, retention=limits.event_log_retention, max_len=limits.event_log_max_len
        ),
    )
    subscriptions = [
        instance_subscription(deps.instance_id, gw.hub, revocations, gw.events),
        event_log_subscription(gw.events),
    ]
    return _app(gw, operations(gw), webapp.Site.load()), subscriptions


def create_app(deps: GatewayDeps) -> Starlette:
    return build(deps)[0]


def operations(gw: Gateway) -> list[Operation]:
    deps = gw.deps

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        results = await asyncio.gather(
            *(_check(check, deps.check_timeout) for check in deps.readiness.values())
        )
        checks = dict(zip(deps.readiness, results, strict=True))
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    table: list[Operation] = []

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi.document(table, title=TITLE, version=VERSION))

    async def asyncapi_json(request: Request) -> Response:
        return JSONResponse(asyncapi.document(deps.registry, title=TITLE, version=VERSION))

    table += [
        Operation("GET", "/healthz", healthz, "Liveness", media="application/json"),
        Operation(
            "GET", "/readyz", readyz, "Readiness of the bus, database and cache", errors=(503,)
        ),
        Operation("GET", "/metrics", metrics, "Prometheus metrics", media="text/plain"),
        Operation("GET", "/openapi.json", openapi_json, "This document"),
        Operation("GET", "/asyncapi.json", asyncapi_json, "The bus messages (AsyncAPI 2.6)"),
        *auth.operations(gw),
        *oauth.operations(gw),
        *users.operations(gw),
        *realtime.operations(gw),
        *events.operations(gw),
        *uploads.operations(gw),
        *scans.operations(gw),
        *recycling.operations(gw),
        *characters.operations(gw),
    ]
    return table


def _app(gw: Gateway, table: Sequence[Operation], site: webapp.Site) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Eager warm-up when the server runs the lifespan; otherwise the first token does it.
        try:
            await gw.verifier.revocations.ensure_warm()
        except errors.ApiError:
            log.warning("token revocations not loaded at start; the first request retries")
        yield

    app = Starlette(
        routes=[*to_routes(table), *webapp.routes(site)],
        middleware=[Middleware(RequestContext)],
        exception_handlers=errors.HANDLERS,
        lifespan=lifespan,
    )
    app.state.gateway = gw
    return app


async def _check(check: Any, timeout: float) -> bool:
    try:
        return bool(await asyncio.wait_for(check(), timeout))
    except Exception:
        return False
