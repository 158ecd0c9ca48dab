"""What every route shares: the dependencies and the per-instance state built from them.

`build` keeps the one `Gateway` of an app in `app.state.gateway`; an endpoint, a plain
module-level function, finds it with `Gateway.of(request)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import HTTPConnection

from contracts import Payload, new_envelope
from gateway.auth import Principal, TokenVerifier, current_user
from gateway.deps import GatewayDeps, Limits
from gateway.errors import ApiError
from gateway.eventlog import EventLog
from gateway.ratelimit import LoginLimiter, RegistrationLimiter
from gateway.realtime import Hub
from gateway.streams import Streams

R = TypeVar("R", bound=Payload)


@dataclass(frozen=True)
class Gateway:
    deps: GatewayDeps
    verifier: TokenVerifier
    limiter: LoginLimiter
    hub: Hub
    events: EventLog
    streams: Streams
    registrations: RegistrationLimiter

    @staticmethod
    def of(connection: HTTPConnection) -> Gateway:
        """The gateway of the app serving `connection` (a request or a WebSocket)."""
        gateway: Gateway = connection.app.state.gateway
        return gateway

    @property
    def limits(self) -> Limits:
        return self.deps.limits

    async def user(self, connection: HTTPConnection) -> Principal:
        """The verified caller, or a 401."""
        return await current_user(connection, self.verifier)

    async def ask(self, query: Payload, answer: type[R], *, user_id: str | None = None) -> R:
        """Send a query over the bus and return its reply, which must be an `answer`.

        Error replies raise `RemoteError` and a silent bus `RequestTimeout`; the app's
        exception handlers turn both into the one error shape.
        """
        envelope = new_envelope(query, user_id=user_id)
        reply = await self.deps.requester.request(
            envelope, timeout=self.deps.limits.request_timeout
        )
        if not isinstance(reply.payload, answer):
            raise ApiError(502, "upstream_error", f"unexpected reply {reply.envelope.type}")
        return reply.payload
