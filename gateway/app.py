"""The Starlette application: its routes, the web client, and the subscriptions that feed it.

`build(deps)` returns the app and the bus subscriptions of this instance (see
`gateway.consumers`); the composition root subscribes them before starting the bus.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.middleware import Middleware

from bus.ports import Subscription
from gateway import errors, webapp
from gateway.auth import Revocations, TokenVerifier
from gateway.consumers import event_log_subscription, instance_subscription
from gateway.context import Gateway
from gateway.deps import Check, GatewayDeps, Limits, OAuthClient
from gateway.eventlog import EventLog
from gateway.middleware import RequestContext
from gateway.ratelimit import LoginLimiter, RegistrationLimiter
from gateway.realtime import Hub
from gateway.routes import (
    auth,
    characters,
    chats,
    events,
    oauth,
    places,
    realtime,
    recycling,
    scans,
    system,
    uploads,
    users,
)
from gateway.routing import Operation, to_routes
from gateway.streams import Streams, blocking_client, close_blocking

__all__ = ["OPERATIONS", "Check", "GatewayDeps", "Limits", "OAuthClient", "build"]

log = logging.getLogger(__name__)


OPERATIONS: tuple[Operation, ...] = (
    *system.OPERATIONS,
    *auth.OPERATIONS,
    *oauth.OPERATIONS,
    *users.OPERATIONS,
    *realtime.OPERATIONS,
    *events.OPERATIONS,
    *uploads.OPERATIONS,
    *scans.OPERATIONS,
    *recycling.OPERATIONS,
    *places.OPERATIONS,
    *characters.OPERATIONS,
    *chats.OPERATIONS,
)
"""Every route of the API, in the order Starlette matches them and OpenAPI lists them."""


def build(deps: GatewayDeps) -> tuple[Starlette, list[Subscription]]:
    """The app and its subscriptions, sharing one hub and revocation cache."""
    limits = deps.limits
    revocations = Revocations(deps.redis, limits.access_token_ttl)
    blocking = blocking_client(deps.redis, limits.stream_max_open)
    gw = Gateway(
        deps,
        TokenVerifier(deps.jwt_secret, revocations),
        LoginLimiter(
            deps.redis,
            per_pair=limits.login_max_failures,
            per_client=limits.login_max_failures_per_client,
            per_email=limits.login_max_failures_per_email,
            window=limits.login_failure_window,
        ),
        Hub(),
        EventLog(
            deps.redis,
            retention=limits.event_log_retention,
            max_len=limits.event_log_max_len,
            blocking=blocking,
        ),
        Streams(per_user=limits.stream_max_per_user, total=limits.stream_max_open),
        RegistrationLimiter(
            deps.redis,
            per_client=limits.registration_max_per_client,
            window=limits.registration_window,
        ),
    )
    subscriptions = [
        instance_subscription(deps.instance_id, gw.hub, revocations, gw.events),
        event_log_subscription(gw.events),
    ]
    table = OPERATIONS if limits.internal_routes else public(OPERATIONS)
    return _app(gw, table, webapp.Site.load(), blocking), subscriptions


def public(table: Sequence[Operation]) -> tuple[Operation, ...]:
    """`table` without the operators' routes (metrics, the bus's AsyncAPI document)."""
    return tuple(op for op in table if op.path not in system.INTERNAL)


def _app(
    gw: Gateway,
    table: Sequence[Operation],
    site: webapp.Site,
    blocking: aioredis.Redis | None = None,
) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Eager warm-up when the server runs the lifespan; otherwise the first token does it.
        try:
            await gw.verifier.revocations.ensure_warm()
        except errors.ApiError:
            log.warning("token revocations not loaded at start; the first request retries")
        yield
        if blocking is not None:
            await close_blocking(blocking)

    app = Starlette(
        routes=[*to_routes(table), *webapp.routes(site)],
        middleware=[Middleware(RequestContext)],
        exception_handlers=errors.HANDLERS,
        lifespan=lifespan,
    )
    app.state.gateway = gw
    app.state.operations = table
    return app
