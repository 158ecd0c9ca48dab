"""The Starlette application: health, readiness, metrics; the API grows here per issue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bus.ports import Publisher, Requester
from gateway import errors
from gateway.middleware import RequestContext

Check = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class GatewayDeps:
    """What the gateway needs, built by the composition root."""

    publisher: Publisher
    requester: Requester
    readiness: Mapping[str, Check] = field(default_factory=dict)
    check_timeout: float = 2.0


def create_app(deps: GatewayDeps) -> Starlette:
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

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=[Middleware(RequestContext)],
        exception_handlers=errors.HANDLERS,
    )


async def _check(check: Check, timeout: float) -> bool:
    try:
        return await asyncio.wait_for(check(), timeout)
    except Exception:
        return False
