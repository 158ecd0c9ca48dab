"""A resource's event log as Server-Sent Events, resumable: what the scan and the chat
reply event routes share.

Each event carries `id:` (its Redis stream id), `event:` (the type's last segment) and
`data:` (`{"type", "id", ...payload}`); a comment line keeps idle connections open, and
the stream ends after a terminal event. A client reconnecting with `Last-Event-ID` gets
exactly the events after that one; one whose last event was terminal gets 204 (which
tells `EventSource` to stop).

A resource with no event yet is looked up with the route's `known` (the scan route asks
the scan service), so an unknown resource, or one of another user (the two look the
same), is 404 at once; without `known` it is awaited for up to `sse_wait_unknown`
seconds before the headers are sent, so the answer can still be a 404. A chat reply
the API has accepted was announced (`EventLog.expect`): its owner is known at once, and
its stream waits for the first event however long the system takes under load.

Every stream, and that wait, holds one of the caller's stream slots (`gateway.streams`):
past `ECO2_STREAM_MAX_PER_USER` the answer is 429. The reads block on the event log's
own Redis pool, never on the one request handling uses.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from prometheus_client import Gauge
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.auth import Principal
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.eventlog import STREAM_ID, Entry
from gateway.streams import Slot

OPEN_STREAMS = Gauge("eco2_gateway_sse_open", "Open Server-Sent Events streams")

KEEP_ALIVE = b": keep-alive\n\n"


def frame(entry: Entry) -> bytes:
    data = json.dumps(
        {**entry.data, "type": entry.type, "id": entry.message_id}, ensure_ascii=False
    )
    return f"id: {entry.stream_id}\nevent: {entry.event}\ndata: {data}\n\n".encode()


def last_event_id(request: Request) -> str:
    after = request.headers.get("last-event-id", "").strip() or "0-0"
    if not STREAM_ID.match(after):
        raise ApiError(400, "bad_request", "Last-Event-ID is not an id this API sent")
    return after


async def _first_events(
    gw: Gateway,
    caller: Principal,
    resource: str,
    ident: str,
    after: str,
    not_found: ApiError,
    known: Callable[[], Awaitable[None]] | None,
) -> tuple[str, list[Entry]]:
    """The resource's owner: from its first event, or `known()` (which raises the 404 for
    a resource the caller has not), or waiting a bounded time for its first event."""
    log = gw.events
    owner = await log.owner(resource, ident)
    if owner is not None:
        return owner, []
    if known is not None:
        await known()
        return caller.user_id, []
    deadline = time.monotonic() + gw.deps.limits.sse_wait_unknown
    while (left := deadline - time.monotonic()) > 0:
        entries = await log.read(resource, ident, after, block=min(left, 1.0))
        owner = await log.owner(resource, ident)
        if owner is not None:
            return owner, entries
    raise not_found


async def _stream(
    gw: Gateway,
    caller: Principal,
    resource: str,
    ident: str,
    cursor: str,
    entries: list[Entry],
    slot: Slot,
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
            entries = await gw.events.read(
                resource, ident, cursor, block=gw.deps.limits.sse_keepalive
            )
            if not entries:
                yield KEEP_ALIVE
    finally:
        OPEN_STREAMS.dec()
        slot.release()


async def events_response(
    gw: Gateway,
    request: Request,
    caller: Principal,
    resource: str,
    ident: str,
    not_found: ApiError,
    belongs: Callable[[list[Entry]], bool] | None = None,
    known: Callable[[], Awaitable[None]] | None = None,
) -> Response:
    """The SSE answer for the log of (`resource`, `ident`), owned by the caller.

    `belongs(first entries)` may refuse a resource reached through the wrong parent (a
    reply under another chat) with the same 404; `known()`, for a resource with no event
    yet, raises the 404 unless the caller has it.
    """
    after = last_event_id(request)
    with gw.streams.open(caller.user_id) as slot:  # 429 past the caller's cap
        owner, entries = await _first_events(gw, caller, resource, ident, after, not_found, known)
        if owner != caller.user_id:
            raise not_found
        if belongs is not None:
            head = entries[:1] or [e for e in [await gw.events.first(resource, ident)] if e]
            if head and not belongs(head):
                raise not_found
        if after != "0-0" and not entries:
            seen = await gw.events.get(resource, ident, after)
            if seen is not None and seen.terminal:
                return Response(status_code=204)
        # The stream keeps the slot from here: its `finally` gives it back, and the
        # background task if the body never starts.
        held = slot.hand_over()
    return StreamingResponse(
        _stream(gw, caller, resource, ident, after, entries, held),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(held.release),
    )
