"""OpenTelemetry set-up: with ECO2_OTLP_ENDPOINT, spans of this process go to a collector."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from services.runtime.settings import Settings


def configure_tracing(
    settings: Settings, component: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Install an SDK tracer provider when an endpoint (or exporter) is given; else leave the
    API's no-op provider, under which trace context is still propagated."""
    if exporter is None:
        if not settings.otlp_endpoint:
            return None
        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": f"eco2-{component}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider
