"""The system routes: liveness, readiness, metrics, and the OpenAPI and AsyncAPI documents.

`/metrics` and `/asyncapi.json` (`INTERNAL`) are for operators: the app serves them only
with `ECO2_INTERNAL_ROUTES` on; otherwise Prometheus scrapes `ECO2_METRICS_PORT`, a port
of its own that no Ingress routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway import asyncapi, openapi
from gateway.context import Gateway
from gateway.deps import Check
from gateway.routing import Operation

TITLE = "Eco² API"
VERSION = "1.0.0"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    deps = Gateway.of(request).deps
    results = await asyncio.gather(
        *(_check(check, deps.check_timeout) for check in deps.readiness.values())
    )
    checks = dict(zip(deps.readiness, results, strict=True))
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def openapi_json(request: Request) -> Response:
    # The app's whole route table, which `gateway.app.build` keeps beside the gateway.
    table: Sequence[Operation] = request.app.state.operations
    return JSONResponse(openapi.document(table, title=TITLE, version=VERSION))


async def asyncapi_json(request: Request) -> Response:
    registry = Gateway.of(request).deps.registry
    return JSONResponse(asyncapi.document(registry, title=TITLE, version=VERSION))


async def _check(check: Check, timeout: float) -> bool:
    try:
        return bool(await asyncio.wait_for(check(), timeout))
    except Exception:
        return False


INTERNAL = frozenset({"/metrics", "/asyncapi.json"})

OPERATIONS = (
    Operation("GET", "/healthz", healthz, "Liveness", media="application/json"),
    Operation("GET", "/readyz", readyz, "Readiness of the bus, database and cache", errors=(503,)),
    Operation("GET", "/metrics", metrics, "Prometheus metrics", media="text/plain"),
    Operation("GET", "/openapi.json", openapi_json, "This document"),
    Operation("GET", "/asyncapi.json", asyncapi_json, "The bus messages (AsyncAPI 2.6)"),
)
