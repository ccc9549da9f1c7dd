/** `application/x-protobuf` bodies, decoded with the official OTLP definitions (src/gen, @bufbuild/protobuf). */
import { fromBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceRequestSchema } from '../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';
import type { AnyValue, KeyValue } from '../gen/opentelemetry/proto/common/v1/common_pb.js';
import type { Span_Event } from '../gen/opentelemetry/proto/trace/v1/trace_pb.js';
import { type AttrValue, type Decoded, DecodedBuilder, exceptionOf, nanosToMs, statusOf } from './model.js';

/** Decode an ExportTraceServiceRequest. Throws (a malformed body: 400) on anything not well-formed, invalid UTF-8 included. */
export function decodeProtobuf(body: Uint8Array): Decoded {
  const request = fromBinary(ExportTraceServiceRequestSchema, body, { readUnknownFields: false });
  const out = new DecodedBuilder();
  for (const rs of request.resourceSpans) {
    const resource = attributes(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans) {
      const scope = ss.scope?.name ?? '';
      for (const s of ss.spans) {
        out.add(
          {
            traceId: Buffer.from(s.traceId).toString('hex'),
            spanId: Buffer.from(s.spanId).toString('hex'),
            parentSpanId: s.parentSpanId.length > 0 ? Buffer.from(s.parentSpanId).toString('hex') : undefined,
            name: s.name,
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            attributes: attributes(s.attributes),
            scope,
            resource,
            status: statusOf(s.status?.code ?? 0, s.status?.message),
            exception: exceptionEvent(s.events),
          },
          s.attributes.length,
        );
      }
    }
  }
  return out.result();
}

/** The first `exception` event (only its attributes are decoded: a span may carry many events). */
function exceptionEvent(events: readonly Span_Event[]) {
  const e = events.find((x) => x.name === 'exception');
  return e === undefined ? undefined : exceptionOf(attributes(e.attributes));
}

function attributes(list: readonly KeyValue[]): Map<string, AttrValue> {
  const map = new Map<string, AttrValue>();
  for (const kv of list) map.set(kv.key, value(kv.value));
  return map;
}

function value(v: AnyValue | undefined): AttrValue {
  const c = v?.value;
  switch (c?.case) {
    case 'stringValue':
    case 'boolValue':
    case 'doubleValue':
      return c.value;
    case 'intValue':
      return Number(c.value);
    case 'bytesValue':
      return Buffer.from(c.value).toString('hex');
    case 'arrayValue':
      return c.value.values.map(value);
    case 'kvlistValue':
      return Object.fromEntries(c.value.values.map((kv) => [kv.key, value(kv.value)]));
    default:
      return null;
  }
}
