"""OpenTelemetry traces of a write, end to end (docs/architecture.md, Traces).

A write's trace starts at its HTTP request span (`TraceRequests`); the event it writes carries
that span's W3C context in the outbox row, as the CloudEvents distributed tracing extension's
`traceparent` and `tracestate` attributes (`trace_context`); the relay publishes it under a
span of its own, child of that context, with `ce_traceparent` among the Kafka headers
(`qaf_shared.events.envelope.kafka_headers`); reporting-service applies it under a span that
is a child of the event's context too. So every span of one write, in every service, shares
one trace id.

Spans are exported by OTLP/HTTP only when `otlp_endpoint` is set (`start_tracing`). With none
the service makes no tracer at all: no middleware, no spans, and the write path asks only
whether a span is current (none is) before writing an event as it always did.

Span attributes hold ids, event types, topics and route templates only: never a path (it may
hold a case reference), a query string, a body or a header's value."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qaf_shared.settings import ServiceSettings

_W3C = TraceContextTextMapPropagator()
INSTRUMENTATION = "qaf_shared"


def start_tracing(settings: ServiceSettings) -> TracerProvider | None:
    """The service's tracer provider, exporting by OTLP/HTTP to `settings.otlp_endpoint` in
    batches (OpenTelemetry's OTEL_BSP_* and OTEL_EXPORTER_OTLP_* variables tune them); None
    when no endpoint is set. Its own, not the process-wide global: two apps in one process
    (the tests) each name their service. `shutdown()` flushes what is left."""
    if not settings.otlp_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    return provider.get_tracer(INSTRUMENTATION) if provider is not None else None


def trace_context() -> dict[str, str]:
    """The current span's W3C context as CloudEvents attributes (`traceparent`, and
    `tracestate` when there is one); empty when no span is current, i.e. always when tracing
    is off."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


def parent_of(attributes: Mapping[str, object]) -> otel_context.Context | None:
    """The context an event's `traceparent`/`tracestate` attributes name; None without one."""
    traceparent = attributes.get("traceparent")
    if not isinstance(traceparent, str):
        return None
    carrier = {"traceparent": traceparent}
    tracestate = attributes.get("tracestate")
    if isinstance(tracestate, str):
        carrier["tracestate"] = tracestate
    return _W3C.extract(carrier)


def end_spans(spans: list[Span], error: BaseException | None = None) -> None:
    """End spans together, marked failed (by the exception's type only) when `error`."""
    for span in spans:
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()


class TraceRequests:
    """Pure ASGI middleware: a SERVER span per HTTP request, the caller's `traceparent`
    continued when it sends one, named and labelled by the route template once routing has
    found it; the trace id is bound into the request's log lines."""

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in scope["headers"]
            if k in (b"traceparent", b"tracestate")
        }
        parent = _W3C.extract(headers) if headers else None
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            structlog.contextvars.bind_contextvars(trace_id=trace_id)
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                structlog.contextvars.unbind_contextvars("trace_id")
