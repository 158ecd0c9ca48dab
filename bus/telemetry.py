"""Tracing and metrics for the bus: W3C trace context in headers, Prometheus counters.

Without a configured OpenTelemetry SDK the spans are non-recording, but the incoming
`traceparent` still becomes the parent of whatever the handler publishes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from contracts import Envelope

if TYPE_CHECKING:
    from bus.dispatch import Outcome

_tracer = trace.get_tracer("eco2.bus")

MESSAGES = Counter(
    "eco2_bus_messages", "Deliveries handled, by outcome", ["group", "type", "outcome"]
)
HANDLER_SECONDS = Histogram(
    "eco2_bus_handler_seconds",
    "Handler run time",
    ["group", "type"],
    buckets=(0.001, 0.005, 0.02, 0.1, 0.5, 2.0, 10.0, 60.0),
)
PUBLISHED = Counter("eco2_bus_published", "Messages confirmed by the broker", ["type"])


def with_current_trace(envelope: Envelope) -> Envelope:
    """The envelope carrying the current trace context (unchanged when there is none)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return envelope  # no trace in progress: nothing to add
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier or carrier == envelope.trace:
        return envelope
    return envelope.model_copy(update={"trace": {**envelope.trace, **carrier}})


@contextmanager
def consumer_span(group: str, envelope: Envelope, headers: Mapping[str, Any]) -> Iterator[None]:
    carrier = {k: str(v) for k, v in headers.items() if k in ("traceparent", "tracestate")}
    carrier = carrier or envelope.trace
    if not carrier and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        yield  # nothing to continue and nobody recording: skip the span's cost
        return
    context = propagate.extract(carrier)
    with _tracer.start_as_current_span(
        f"{envelope.type} process",
        context=context,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "eco2",
            "messaging.consumer.group.name": group,
            "messaging.message.id": str(envelope.message_id),
            "messaging.message.conversation_id": str(envelope.correlation_id),
        },
    ):
        yield


def count_outcome(group: str, message_type: str, outcome: Outcome) -> None:
    name = {"Ack": "ack", "Reply": "reply", "RetryLater": "retry", "DeadLetter": "dead_letter"}[
        type(outcome).__name__
    ]
    MESSAGES.labels(group, message_type, name).inc()


def observe_handler(group: str, message_type: str, seconds: float) -> None:
    HANDLER_SECONDS.labels(group, message_type).observe(seconds)


def count_published(message_type: str) -> None:
    PUBLISHED.labels(message_type).inc()
