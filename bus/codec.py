"""Envelope <-> wire: the body is the envelope as JSON; AMQP properties and headers repeat
the routing facts so any AMQP program can publish, filter and trace without parsing JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts import Envelope

CONTENT_TYPE = "application/json"
H_VERSION = "x-eco2-version"
H_ATTEMPT = "x-eco2-attempt"
H_CORRELATION = "x-eco2-correlation-id"
H_CAUSATION = "x-eco2-causation-id"
H_DEAD_REASON = "x-eco2-dead-reason"
H_DEAD_DETAIL = "x-eco2-dead-detail"
H_ORIGINAL_EXCHANGE = "x-eco2-original-exchange"
H_ORIGINAL_ROUTING_KEY = "x-eco2-original-routing-key"
H_GROUP = "x-eco2-group"
TRACE_HEADERS = ("traceparent", "tracestate")


@dataclass(frozen=True)
class Outgoing:
    """A message ready for a transport: body plus properties and headers."""

    body: bytes
    message_id: str
    type: str
    correlation_id: str
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """A message as any transport received it, before parsing."""

    body: bytes
    headers: dict[str, Any]
    routing_key: str
    reply_to: str | None = None
    message_id: str | None = None
    redeliveries: int = 0

    @property
    def attempt(self) -> int:
        """1 for the first delivery; counts our retries and the broker's redeliveries."""
        return _int(self.headers.get(H_ATTEMPT), 1) + self.redeliveries


def encode(envelope: Envelope, *, attempt: int = 1) -> Outgoing:
    headers: dict[str, Any] = {
        H_VERSION: envelope.version,
        H_ATTEMPT: attempt,
        H_CORRELATION: str(envelope.correlation_id),
    }
    if envelope.causation_id is not None:
        headers[H_CAUSATION] = str(envelope.causation_id)
    for name in TRACE_HEADERS:
        if name in envelope.trace:
            headers[name] = envelope.trace[name]
    return Outgoing(
        body=envelope.model_dump_json().encode(),
        message_id=str(envelope.message_id),
        type=envelope.type,
        correlation_id=str(envelope.correlation_id),
        headers=headers,
    )


def _int(value: Any, default: int) -> int:
    try:
        return max(int(value), default)
    except (TypeError, ValueError):
        return default
