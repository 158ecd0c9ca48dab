"""What the gateway needs from the outside, built by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

from bus.ports import Publisher, Requester
from contracts import Registry

Check = Callable[[], Awaitable[bool]]


class Presigned(Protocol):
    """An upload URL the object store signed: the client sends `method` `url` + `headers`."""

    @property
    def url(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def expires_in(self) -> int: ...


class Uploads(Protocol):
    """Where the photos people upload go (the object store, seen from the gateway)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (overwriting)."""

    async def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> Presigned | None:
        """A URL to upload `size` bytes to `key` directly; None: send them to the gateway."""


@dataclass(frozen=True)
class OAuthClient:
    """One enabled OAuth 2 provider, as far as the gateway's redirect needs it."""

    client_id: str
    authorize_url: str
    scope: str = ""


@dataclass(frozen=True)
class Limits:
    """Sizes, windows and timeouts (the `ECO2_*` settings of the same names)."""

    max_body_bytes: int = 1024 * 1024
    login_max_failures: int = 5
    login_max_failures_per_client: int = 50
    login_max_failures_per_email: int = 100
    login_failure_window: int = 15 * 60
    registration_max_per_client: int = 20
    registration_window: int = 600
    access_token_ttl: int = 15 * 60
    ws_send_queue: int = 256
    ws_heartbeat: float = 20.0
    event_log_retention: int = 24 * 3600
    event_log_max_len: int = 1000
    # SSE: a comment line this often.
    sse_keepalive: float = 15.0
    # How long a resource with no event yet, and no other way to know it, is awaited
    # before a 404 (chat replies; a scan is asked of the scan service at once).
    sse_wait_unknown: float = 10.0
    # Long-lived streams (SSE + WebSockets): open at once per user, and per instance (the
    # size of the blocking-read Redis pool too).
    stream_max_per_user: int = 8
    stream_max_open: int = 200
    oauth_state_ttl: int = 600
    request_timeout: float | None = None
    # Photos: the largest accepted, and how long an upload URL stays valid (seconds).
    max_image_bytes: int = 10 * 1024 * 1024
    upload_url_ttl: int = 600
    # Chat: messages a person may send per minute.
    chat_messages_per_minute: int = 10
    # `/metrics` and `/asyncapi.json` on the API's own listener too.
    internal_routes: bool = False
    # Where clients reach this API (`https://api.example.com`); "" makes upload URLs paths.
    public_url: str = ""


@dataclass(frozen=True)
class GatewayDeps:
    """Everything `gateway.app.build` wires together; no I/O happens until requests come."""

    publisher: Publisher
    requester: Requester
    redis: aioredis.Redis
    registry: Registry
    jwt_secret: str
    instance_id: str
    limits: Limits = Limits()
    oauth: Mapping[str, OAuthClient] = field(default_factory=dict)
    oauth_redirect_uris: tuple[str, ...] = ()
    # None: the upload and multipart scan routes answer 503 (no object store wired).
    uploads: Uploads | None = None
    readiness: Mapping[str, Check] = field(default_factory=dict)
    check_timeout: float = 2.0
