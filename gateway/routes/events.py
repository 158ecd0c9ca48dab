"""`/api/v1/scans/{scan_id}/events`: a scan's events as Server-Sent Events, resumable.

Each event carries `id:` (its Redis stream id), `event:` (`progress`, `classified`,
`completed`, `failed`) and `data:` (`{"type", "id", ...payload}`); a comment line keeps
idle connections open, and the stream ends after a terminal event. A client reconnecting
with `Last-Event-ID` gets exactly the events after that one; one whose last event was
terminal gets 204 (which tells `EventSource` to stop).

A scan with no event yet is awaited for up to `sse_wait_unknown` seconds before the
headers are sent, so the answer can still be a 404: for an unknown scan, or one of
another user (the two look the same).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from prometheus_client import Gauge
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.auth import Principal
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.eventlog import STREAM_ID, Entry
from gateway.routing import Operation, Param

OPEN_STREAMS = Gauge("eco2_gateway_sse_open", "Open Server-Sent Events streams")

RESOURCE = "scan"
KEEP_ALIVE = b": keep-alive\n\n"


def frame(entry: Entry) -> bytes:
    data = json.dumps(
        {**entry.data, "type": entry.type, "id": entry.message_id}, ensure_ascii=False
    )
    return f"id: {entry.stream_id}\nevent: {entry.event}\ndata: {data}\n\n".encode()


def not_found(scan_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no events for scan {scan_id!r}")


async def first_events(gw: Gateway, scan_id: str, after: str) -> tuple[str, list[Entry]]:
    """The scan's owner, waiting a bounded time for its first event if none exists."""
    log = gw.events
    owner = await log.owner(RESOURCE, scan_id)
    if owner is not None:
        return owner, []
    deadline = time.monotonic() + gw.limits.sse_wait_unknown
    while (left := deadline - time.monotonic()) > 0:
        entries = await log.read(RESOURCE, scan_id, after, block=min(left, 1.0))
        owner = await log.owner(RESOURCE, scan_id)
        if owner is not None:
            return owner, entries
    raise not_found(scan_id)


async def stream(
    gw: Gateway, caller: Principal, scan_id: str, cursor: str, entries: list[Entry]
) -> AsyncIterator[bytes]:
    OPEN_STREAMS.inc()
    try:
        yield b"retry: 2000\n\n"
        while True:
            for entry in entries:
                cursor = entry.stream_id
                if entry.user_id != caller.user_id:
                    continue
                yield frame(entry)
                if entry.terminal:
                    return
            revoked = gw.verifier.revocations.is_revoked(caller)
            if revoked or time.time() >= caller.expires_at:
                return  # the client reconnects with a fresh token and Last-Event-ID
            entries = await gw.events.read(RESOURCE, scan_id, cursor, block=gw.limits.sse_keepalive)
            if not entries:
                yield KEEP_ALIVE
    finally:
        OPEN_STREAMS.dec()


async def scan_events(request: Request) -> Response:
    gw = Gateway.of(request)
    caller = await gw.user(request)
    scan_id = str(request.path_params["scan_id"])
    if not 0 < len(scan_id) <= 64:
        raise not_found(scan_id[:64])
    after = request.headers.get("last-event-id", "").strip() or "0-0"
    if not STREAM_ID.match(after):
        raise ApiError(400, "bad_request", "Last-Event-ID is not an id this API sent")
    owner, entries = await first_events(gw, scan_id, after)
    if owner != caller.user_id:
        raise not_found(scan_id)
    if after != "0-0" and not entries:
        seen = await gw.events.get(RESOURCE, scan_id, after)
        if seen is not None and seen.terminal:
            return Response(status_code=204)
    return StreamingResponse(
        stream(gw, caller, scan_id, after, entries),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


OPERATIONS = (
    Operation(
        "GET",
        "/api/v1/scans/{scan_id}/events",
        scan_events,
        "A scan's events as Server-Sent Events (resume with Last-Event-ID)",
        "scans",
        media="text/event-stream",
        auth=True,
        errors=(400, 401, 404),
        params=(Param("Last-Event-ID", "header", description="the last `id:` received"),),
    ),
)
