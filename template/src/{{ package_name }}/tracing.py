"""OpenTelemetry traces of requests and their SQL, off unless the standard OTEL_* variables ask.

Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp` or `console`) or an OTLP
endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and
`OTEL_SDK_DISABLED` is not `true`. Everything else is read by OpenTelemetry itself from the
same variables (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`, ...). The SDK and the instrumentations are the optional
`otel` extra (`uv sync --extra otel`), so a service that never traces does not carry them.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from fastapi import FastAPI
from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine

EXPORTERS = ("otlp", "console")
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# Scrapes and probes every few seconds would drown the traces that matter.
EXCLUDED_URLS = "/metrics,/health/live"


def tracing_requested(environ: Mapping[str, str]) -> str | None:
    """The exporter the environment asks for, or None when tracing stays off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return None
    if not exporter:
        return "otlp" if any(environ.get(name) for name in ENDPOINT_VARIABLES) else None
    if exporter not in EXPORTERS:
        raise ValueError(
            f"OTEL_TRACES_EXPORTER={exporter!r} is not supported here: use one of "
            f"{', '.join(EXPORTERS)} or none."
        )
    return exporter


def provider_from_environment(environ: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider exporting where OTEL_* says, or None when tracing is off."""
    exporter_name = tracing_requested(environ)
    if exporter_name is None:
        return None
    try:
        # Imported here: the SDK is an optional extra, needed only once tracing is asked for.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SpanExporter,
        )
    except ImportError as error:
        raise RuntimeError(
            "OTEL_* variables turn tracing on, but the OpenTelemetry SDK is not installed: "
            "run `uv sync --extra otel`."
        ) from error
    exporter: SpanExporter = (
        OTLPSpanExporter() if exporter_name == "otlp" else ConsoleSpanExporter()
    )
    provider = SdkTracerProvider()  # reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """A server span for every request (outermost, so it times the whole middleware stack)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=EXCLUDED_URLS,
        # A span per ASGI message would double the spans and tell nothing the server span does not.
        exclude_spans=["receive", "send"],
    )


@contextmanager
def traced_engine(engine: Engine, provider: TracerProvider | None) -> Iterator[None]:
    """A span per SQL statement on `engine`, under the request's span, while the app runs."""
    if provider is None:
        yield
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor  # noqa: PLC0415

    instrumentor = SQLAlchemyInstrumentor()
    # skip_dep_check: the instrumentation declares SQLAlchemy < 2.1, but the engine events it
    # listens to are unchanged in 2.1 (tests/api/test_tracing.py shows the SQL spans).
    instrumentor.instrument(engine=engine, tracer_provider=provider, skip_dep_check=True)
    try:
        yield
    finally:
        instrumentor.uninstrument()
