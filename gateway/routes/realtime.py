"""`/api/v1/ws`: a WebSocket of the caller's events.

Close codes: 4401 for a missing, invalid, expired or revoked token (at connect or later),
4408 for a client too slow to take its events, 4429 for a user past the cap of open
streams (`ECO2_STREAM_MAX_PER_USER`, counted with SSE streams; `gateway.streams`), 1013
for an instance past its stream budget. The server sends `{"type": "ping"}` after
`ws_heartbeat` idle seconds and answers `{"type": "ping"}` with `{"type": "pong"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import InvalidToken, Principal, bearer_token
from gateway.context import Gateway
from gateway.errors import ApiError
from gateway.realtime import CLOSE_UNAUTHORIZED, PONG, Connection
from gateway.routing import Operation, Param

log = logging.getLogger(__name__)

# A slow client gets this long to read its backlog and the close frame behind it.
CLOSE_TIMEOUT = 15.0
CLOSE_TOO_MANY = 4429  # the user has as many streams open as allowed
CLOSE_TRY_AGAIN = 1013  # this instance has as many streams open as it can hold


async def _send(websocket: WebSocket, connection: Connection, heartbeat: float) -> None:
    while (text := await connection.next(heartbeat)) is not None:
        await websocket.send_text(text)


async def _receive(websocket: WebSocket, connection: Connection) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if not text or len(text) > 4096:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "ping":
            connection.push(PONG)


async def events(websocket: WebSocket) -> None:
    gw = Gateway.of(websocket)
    await websocket.accept()
    token = bearer_token(websocket, query=True)
    try:
        if token is None:
            raise InvalidToken("a Bearer access token is required")
        principal = await gw.verifier.verify(token)
    except (InvalidToken, ApiError) as exc:
        await websocket.close(CLOSE_UNAUTHORIZED, str(exc)[:120])
        return
    try:
        slot = gw.streams.open(principal.user_id)
    except ApiError as exc:
        code = CLOSE_TOO_MANY if exc.status == 429 else CLOSE_TRY_AGAIN
        await websocket.close(code, exc.message[:120])
        return
    with slot:
        await _serve(websocket, gw, principal)


async def _serve(websocket: WebSocket, gw: Gateway, principal: Principal) -> None:
    limits = gw.limits
    connection = Connection(principal, limits.ws_send_queue)
    gw.hub.add(connection)
    receiver = asyncio.create_task(_receive(websocket, connection))
    tasks = {
        asyncio.create_task(_send(websocket, connection, limits.ws_heartbeat)),
        receiver,
        asyncio.create_task(connection.closing.wait()),
    }
    try:
        left = max(principal.expires_at - time.time(), 0.0)
        done, _ = await asyncio.wait(tasks, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            connection.close(CLOSE_UNAUTHORIZED, "token expired")
    finally:
        gw.hub.remove(connection)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
    if receiver.done() and not receiver.cancelled():
        return  # the client left (or its socket failed): nothing to close
    code = connection.close_code or 1011  # the sender failed
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code, connection.close_reason), CLOSE_TIMEOUT)


OPERATIONS = (
    Operation(
        "GET",
        "/api/v1/ws",
        events,
        "WebSocket of the caller's events (close 4401 bad token, 4408 too slow, 4429 too many)",
        "realtime",
        status=101,
        media="",
        auth=True,
        params=(Param("access_token", description="instead of the Authorization header"),),
        websocket=True,
    ),
)
