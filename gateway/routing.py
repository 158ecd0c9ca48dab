"""The route table's rows: one `Operation` per method and path, read by Starlette and OpenAPI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import cast

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

Endpoint = Callable[[Request], Awaitable[Response]]
SocketEndpoint = Callable[[WebSocket], Awaitable[None]]


@dataclass(frozen=True)
class Param:
    """A query or header parameter, for the document."""

    name: str
    where: str = "query"  # query | header
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint | SocketEndpoint
    summary: str
    tag: str = "system"
    request: type[BaseModel] | None = None
    request_required: bool = True
    response: type[BaseModel] | None = None
    status: int = 200
    media: str = "application/json"
    auth: bool = False
    errors: tuple[int, ...] = ()
    params: tuple[Param, ...] = ()
    websocket: bool = False
    documented: bool = True
    # Path parameters that take one of a few values: name -> the values, for the document.
    path_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()


def to_routes(operations: Sequence[Operation]) -> list[BaseRoute]:
    """One route per path, so a 405's `Allow` header lists every method of the resource."""
    order: list[BaseRoute | str] = []
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in operations:
        if op.websocket:
            order.append(WebSocketRoute(op.path, op.endpoint))
            continue
        if op.path not in by_path:
            order.append(op.path)
            by_path[op.path] = {}
        by_path[op.path][op.method] = cast(Endpoint, op.endpoint)
    return [_route(item, by_path[item]) if isinstance(item, str) else item for item in order]


def _route(path: str, endpoints: dict[str, Endpoint]) -> Route:
    if len(endpoints) == 1:
        [(method, endpoint)] = endpoints.items()
        return Route(path, endpoint, methods=[method])

    async def dispatch(request: Request) -> Response:
        # The route let only its methods through; HEAD is GET without a body.
        return await endpoints["GET" if request.method == "HEAD" else request.method](request)

    return Route(path, dispatch, methods=list(endpoints))
