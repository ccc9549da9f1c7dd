"""One exporting agent for the collector's durability test: the real OpenTelemetry SDK's
BatchSpanProcessor and OTLP/HTTP exporter (which retries what was not acknowledged: connection
errors, 429/502/503/504, with backoff and Retry-After) sending COUNT GenAI `execute_tool` spans,
each in its own trace, with a unique `gen_ai.tool.call.id` of `<NAME>-<n>`.

Usage: python otlp_exporter.py ENDPOINT NAME COUNT SECONDS_BETWEEN_SPANS

Prints one JSON line: the tool call ids whose export was acknowledged (200) and those whose export
failed in the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class Recording(SpanExporter):
    """Passes each batch to the OTLP exporter and records how its export ended."""

    def __init__(self, inner: OTLPSpanExporter) -> None:
        self.inner = inner
        self.acked: list[str] = []
        self.failed: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.inner.export(spans)
        ids = [str((s.attributes or {}).get("gen_ai.tool.call.id")) for s in spans]
        (self.acked if result == SpanExportResult.SUCCESS else self.failed).extend(ids)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def main(endpoint: str, name: str, count: int, gap: float) -> None:
    recording = Recording(OTLPSpanExporter(endpoint=endpoint, timeout=60))
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(
        BatchSpanProcessor(recording, schedule_delay_millis=50, max_export_batch_size=64)
    )
    tracer = provider.get_tracer("durability-test")
    for n in range(count):
        with tracer.start_as_current_span("execute_tool lookup") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", "lookup")
            span.set_attribute("gen_ai.tool.call.id", f"{name}-{n}")
        time.sleep(gap)
    provider.shutdown()
    print(json.dumps({"acked": recording.acked, "failed": recording.failed}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
