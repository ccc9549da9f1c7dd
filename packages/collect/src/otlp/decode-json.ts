/**
 * `application/json` bodies, in the OTLP/JSON encoding: lowerCamelCase keys, trace and span ids
 * as hex, 64-bit integers as strings or numbers, enums as integers. Validated field by field.
 */
import {
  type AttrValue,
  type Decoded,
  DecodedBuilder,
  exceptionOf,
  nanosToMs,
  type SpanException,
  type SpanStatus,
  statusOf,
} from './model.js';

type Json = Record<string, unknown>;

class Malformed extends Error {}

const obj = (v: unknown, what: string): Json => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed(`${what} must be an object`);
  return v as Json;
};
const arr = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Malformed(`${what} must be an array`);
  return v;
};
const text = (v: unknown, what: string): string => {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Malformed(`${what} must be a string`);
  return v;
};

/** Decode an ExportTraceServiceRequest from OTLP/JSON text. Throws on a malformed body (400). */
export function decodeJson(body: string): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new Malformed(`not JSON: ${(error as Error).message}`);
  }
  const out = new DecodedBuilder();
  for (const rs of arr(obj(parsed, 'the request').resourceSpans, 'resourceSpans')) {
    const r = obj(rs, 'a resourceSpans entry');
    const resource = attributes(obj(r.resource, 'resource').attributes);
    for (const ssRaw of arr(r.scopeSpans, 'scopeSpans')) {
      const ss = obj(ssRaw, 'a scopeSpans entry');
      const scope = text(obj(ss.scope, 'scope').name, 'scope.name');
      for (const sRaw of arr(ss.spans, 'spans')) {
        const s = obj(sRaw, 'a span');
        const attrs = arr(s.attributes, 'attributes');
        const parent = text(s.parentSpanId, 'parentSpanId').toLowerCase();
        out.add(
          {
            traceId: text(s.traceId, 'traceId').toLowerCase(),
            spanId: text(s.spanId, 'spanId').toLowerCase(),
            parentSpanId: parent === '' ? undefined : parent,
            name: text(s.name, 'name'),
            startMs: nanosToMs(int64(s.startTimeUnixNano)),
            endMs: nanosToMs(int64(s.endTimeUnixNano)),
            attributes: attributes(attrs),
            scope,
            resource,
            status: status(s.status),
            exception: exceptionEvent(s.events),
          },
          attrs.length,
        );
      }
    }
  }
  return out.result();
}

const STATUS_NAMES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** `status: {code: 2 | "STATUS_CODE_ERROR", message}`; an unknown code is UNSET, as in protobuf. */
function status(raw: unknown): SpanStatus {
  const st = obj(raw, 'status');
  const code = st.code;
  let n = 0;
  if (typeof code === 'number') n = code;
  else if (typeof code === 'string') n = STATUS_NAMES[code] ?? (/^\d{1,10}$/.test(code) ? Number(code) : 0);
  else if (code !== undefined && code !== null) throw new Malformed('status.code must be a number or a name');
  return statusOf(n, text(st.message, 'status.message'));
}

/** The first `exception` event (only its attributes are decoded: a span may carry many events). */
function exceptionEvent(raw: unknown): SpanException | undefined {
  for (const e of arr(raw, 'events')) {
    const event = obj(e, 'an event');
    if (text(event.name, 'event name') === 'exception') return exceptionOf(attributes(event.attributes));
  }
  return undefined;
}

function int64(v: unknown): string | undefined {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return undefined;
}

function attributes(list: unknown): Map<string, AttrValue> {
  const map = new Map<string, AttrValue>();
  for (const kvRaw of arr(list, 'attributes')) {
    const kv = obj(kvRaw, 'an attribute');
    map.set(text(kv.key, 'attribute key'), value(kv.value, 0));
  }
  return map;
}

function value(raw: unknown, depth: number): AttrValue {
  if (depth > 16) throw new Malformed('attribute values nest deeper than 16 levels');
  const v = obj(raw, 'an attribute value');
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    if (!Number.isFinite(n)) throw new Malformed('intValue must be an integer');
    return n;
  }
  if (typeof v.bytesValue === 'string') return Buffer.from(v.bytesValue, 'base64').toString('hex');
  if (v.arrayValue !== undefined)
    return arr(obj(v.arrayValue, 'arrayValue').values, 'arrayValue.values').map((x) => value(x, depth + 1));
  if (v.kvlistValue !== undefined) {
    const out: Record<string, AttrValue> = {};
    for (const kvRaw of arr(obj(v.kvlistValue, 'kvlistValue').values, 'kvlistValue.values')) {
      const kv = obj(kvRaw, 'a kvlist entry');
      out[text(kv.key, 'kvlist key')] = value(kv.value, depth + 1);
    }
    return out;
  }
  return null;
}
