/**
 * Span status and exception events, as both OTLP decoders read them: the code (a number, or its
 * enum name in OTLP/JSON), the description cut to a bound, the `exception` event's type and
 * message; and a span without them UNSET.
 */
import { describe, expect, it } from 'vitest';
import { decodeJson } from '../../packages/collect/src/otlp/decode-json.js';
import { decodeProtobuf } from '../../packages/collect/src/otlp/decode-protobuf.js';
import { MAX_STATUS_MESSAGE } from '../../packages/collect/src/otlp/model.js';
import { type FakeSpan, hexId, jsonBody, protobufBody } from '../helpers/otlp.js';

const span = (extra: Partial<FakeSpan> = {}): FakeSpan => ({
  traceId: hexId(16),
  spanId: hexId(8),
  name: 'llm',
  startMs: Date.UTC(2026, 0, 1),
  endMs: Date.UTC(2026, 0, 1, 0, 0, 1),
  attributes: {},
  scope: 'pipecat',
  ...extra,
});

const decoders = {
  protobuf: (spans: FakeSpan[]) => decodeProtobuf(protobufBody(spans)),
  json: (spans: FakeSpan[]) => decodeJson(jsonBody(spans)),
};

describe('span status', () => {
  it.each(Object.entries(decoders))(
    '%s: decodes the code, the message and the exception event',
    (_, decode) => {
      // Prepare
      const spans = [
        span({
          status: { code: 2, message: 'APIStatusError: Error code: 500' },
          exception: { type: 'APIStatusError', message: 'Error code: 500' },
        }),
        span({ status: { code: 1 } }),
        span(),
      ];
      // Act
      const decoded = decode(spans).spans;
      // Assess
      expect(decoded.map((s) => [s.status, s.exception])).toEqual([
        [
          { code: 2, message: 'APIStatusError: Error code: 500' },
          { type: 'APIStatusError', message: 'Error code: 500' },
        ],
        [{ code: 1, message: undefined }, undefined],
        [{ code: 0, message: undefined }, undefined],
      ]);
    },
  );

  it.each(Object.entries(decoders))(
    '%s: bounds a long message without splitting a character',
    (_, decode) => {
      // Prepare: an emoji (a surrogate pair) across the bound
      const long = `${'x'.repeat(MAX_STATUS_MESSAGE - 1)}😀${'y'.repeat(5000)}`;
      // Act
      const [decoded] = decode([
        span({ status: { code: 2, message: long }, exception: { type: 'E', message: long } }),
      ]).spans;
      // Assess
      expect(decoded?.status.message).toBe(`${'x'.repeat(MAX_STATUS_MESSAGE - 1)}…`);
      expect(decoded?.exception?.message).toBe(decoded?.status.message);
    },
  );

  it('OTLP/JSON: takes the enum names, reads an unknown code as UNSET, refuses a code of another type', () => {
    // Prepare
    const named = span({ status: { code: 2, codeName: true, message: 'boom' } });
    const body = (status: unknown) => {
      const request = JSON.parse(jsonBody([span()]));
      request.resourceSpans[0].scopeSpans[0].spans[0].status = status;
      return JSON.stringify(request);
    };
    // Act
    const [byName] = decodeJson(jsonBody([named])).spans;
    const [unknown] = decodeJson(body({ code: 7, message: 'x' })).spans;
    const [unknownName] = decodeJson(body({ code: 'STATUS_CODE_MAYBE' })).spans;
    // Assess
    expect(byName?.status).toEqual({ code: 2, message: 'boom' });
    expect(unknown?.status).toEqual({ code: 0, message: 'x' });
    expect(unknownName?.status.code).toBe(0);
    expect(() => decodeJson(body({ code: { error: true } }))).toThrow(/status\.code/);
    expect(() => decodeJson(body({ code: 2, message: 5 }))).toThrow(/status\.message/);
  });
});
