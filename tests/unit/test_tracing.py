"""With an SDK tracer provider, each handled message is a consumer span continuing the
publisher's trace, and what the handler publishes continues it further."""

from __future__ import annotations

import asyncio
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bus.memory import MemoryBus
from bus.ports import Message, Subscription
from contracts import new_envelope
from services.runtime.observability import configure_tracing
from services.runtime.settings import load_settings
from tests.contract.messages import Note, Other, registry


async def test_consumer_spans_continue_the_incoming_trace() -> None:
    exporter = InMemorySpanExporter()
    provider = configure_tracing(load_settings(), "test", exporter)
    assert provider is not None
    done = asyncio.Event()
    bus = MemoryBus(registry())

    async def relay(message: Message[Any]) -> None:
        await bus.publish(new_envelope(Other(n=1), cause=message.envelope))

    async def sink(message: Message[Any]) -> None:
        done.set()

    bus.subscribe(Subscription("relay", ["testbus.note"], relay))
    bus.subscribe(Subscription("sink", ["testbus.other.#"], sink))
    await bus.start()
    try:
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("request") as root:
            await bus.publish(new_envelope(Note(text="x")))
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await bus.close()
    provider.force_flush()
    provider.shutdown()
    spans = {span.name: span for span in exporter.get_finished_spans()}
    trace_id = root.get_span_context().trace_id
    relay_span = spans["testbus.note process"]
    sink_span = spans["testbus.other.thing process"]
    assert relay_span.context.trace_id == trace_id
    assert relay_span.parent is not None
    assert relay_span.parent.span_id == root.get_span_context().span_id
    assert sink_span.context.trace_id == trace_id
    assert sink_span.parent is not None
    assert sink_span.parent.span_id == relay_span.context.span_id
    assert relay_span.attributes is not None
    assert relay_span.attributes["messaging.consumer.group.name"] == "relay"
