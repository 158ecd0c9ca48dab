"""The WebSocket hub of one gateway instance: its open connections, by user.

Each connection has a bounded queue (`ws_send_queue` messages) drained by its own sender
task, so one client never slows another: a push finding the queue full closes that
connection with 4408 instead of waiting. Closing is a request the connection's own task
carries out, so the bus handler that pushes never blocks on a socket.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from prometheus_client import Gauge

from gateway.auth import Principal, Revocations

CLOSE_UNAUTHORIZED = 4401  # missing, invalid, expired or revoked token
CLOSE_TOO_SLOW = 4408  # the client did not keep up with its events

PING = json.dumps({"type": "ping"})
PONG = json.dumps({"type": "pong"})

OPEN_WEBSOCKETS = Gauge("eco2_gateway_websockets_open", "Open WebSocket connections")


def event_text(message_type: str, message_id: str, payload: dict[str, Any]) -> str:
    """What a client receives for one bus event: `{"type", "id", ...payload}`."""
    return json.dumps({**payload, "type": message_type, "id": message_id}, ensure_ascii=False)


class Connection:
    """One client's outgoing queue and close request."""

    def __init__(self, principal: Principal, limit: int) -> None:
        self.principal = principal
        self._limit = limit
        self._pending: deque[str] = deque()
        self._wake = asyncio.Event()
        self.closing = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""

    def push(self, text: str) -> bool:
        """Queue `text`; a full queue closes the connection as too slow."""
        if self.close_code is not None:
            return False
        if len(self._pending) >= self._limit:
            self.close(CLOSE_TOO_SLOW, "too slow")
            return False
        self._pending.append(text)
        self._wake.set()
        return True

    def close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
            self.closing.set()
            self._wake.set()

    async def next(self, heartbeat: float) -> str | None:
        """The next text to send (a ping after `heartbeat` idle seconds); None once closing."""
        while self.close_code is None:
            if self._pending:
                return self._pending.popleft()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), heartbeat)
            except TimeoutError:
                return PING
        return None


class Hub:
    """This instance's connections, by user id."""

    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = {}

    def add(self, connection: Connection) -> None:
        self._by_user.setdefault(connection.principal.user_id, set()).add(connection)
        OPEN_WEBSOCKETS.inc()

    def remove(self, connection: Connection) -> None:
        user = connection.principal.user_id
        connections = self._by_user.get(user)
        if connections is not None and connection in connections:
            connections.discard(connection)
            OPEN_WEBSOCKETS.dec()
            if not connections:
                del self._by_user[user]

    def push(self, user_id: str, text: str) -> int:
        """Queue `text` for every connection of `user_id`; how many took it."""
        return sum(c.push(text) for c in list(self._by_user.get(user_id, ())))

    def close_revoked(self, user_id: str, revocations: Revocations) -> None:
        for connection in list(self._by_user.get(user_id, ())):
            if revocations.is_revoked(connection.principal):
                connection.close(CLOSE_UNAUTHORIZED, "token revoked")

    def count(self, user_id: str | None = None) -> int:
        if user_id is not None:
            return len(self._by_user.get(user_id, ()))
        return sum(len(c) for c in self._by_user.values())
