/** normalizeEvent: one input into one JSON line, or a typed rejection. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../packages/voicelake/src/demo/generator.js';
import { isoTime, normalizeEvent, REJECT_REASONS } from '../../packages/voicelake/src/event.js';
import { parseIsoTime } from '../../packages/voicelake/src/event-time.js';

const NOW = Date.UTC(2026, 10, 24, 12);
const MB = 1 << 20;

describe('normalizeEvent', () => {
  it('writes the envelope, typed columns and custom fields into one JSON line', () => {
    // Act
    const n = normalizeEvent(
      {
        type: 'llm_metrics',
        callId: 'c1',
        agentId: 'a1',
        time: NOW,
        data: { ttftMs: 240.5, promptTokens: 12, isFinal: true, foo: { x: 1 } },
      },
      MB,
      0,
    );
    // Assess
    if (!n.ok) throw new Error(n.message);
    const row = JSON.parse(n.record.line);
    expect(row).toEqual({
      event_id: n.eventId,
      event_type: 'llm_metrics',
      event_time: '2026-11-24T12:00:00.000Z',
      call_id: 'c1',
      agent_id: 'a1',
      schema_version: 1,
      ttft_ms: 240.5,
      prompt_tokens: 12,
      is_final: true,
      custom: '{"foo":{"x":1}}',
    });
    expect(n.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(n.record.bytes).toBe(Buffer.byteLength(n.record.line));
    expect(n.record.timeMs).toBe(NOW);
  });

  it('accepts a Date, epoch ms and an ISO string for the same time', () => {
    const lines = [new Date(NOW), NOW, new Date(NOW).toISOString()].map((time) => {
      const n = normalizeEvent({ type: 't', callId: 'c', time }, MB, 0);
      return n.ok ? JSON.parse(n.record.line).event_time : n.message;
    });
    expect(new Set(lines)).toEqual(new Set(['2026-11-24T12:00:00.000Z']));
  });

  /** What the stored line says for an ISO time; `invalid_time` when it is refused. */
  const REFUSED = REJECT_REASONS.invalidTime;
  it.each([
    ['2026-11-24T12:00:00Z', '2026-11-24T12:00:00.000Z'],
    ['2026-11-24t12:00:00.5z', '2026-11-24T12:00:00.500Z'],
    ['2026-11-24 12:00Z', '2026-11-24T12:00:00.000Z'],
    ['2026-11-24T12:00:00.123456789Z', '2026-11-24T12:00:00.123Z'],
    ['2026-11-24T14:30:00+02:30', '2026-11-24T12:00:00.000Z'],
    ['2026-11-24T07:00:00-0500', '2026-11-24T12:00:00.000Z'],
    ['2026-11-24T13:00:00+01', '2026-11-24T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-11-25T00:30:00+01:00', '2026-11-24T23:30:00.000Z'],
    // A day that does not exist is refused, never rolled over (Date.parse gives March 1st).
    ['2024-02-30T00:00:00Z', REFUSED],
    ['2025-02-29T00:00:00Z', REFUSED],
    ['2024-13-01T00:00:00Z', REFUSED],
    ['2024-01-01T24:00:00Z', REFUSED],
    ['2024-06-01T23:30:00+24:00', REFUSED],
    // Without a zone, the host would read it in its own zone: a partition day must not depend on it.
    ['2024-06-01T23:30:00', REFUSED],
    ['2024-06-01', REFUSED],
    ['June 1, 2024 23:30', REFUSED],
  ])('stores the ISO time %j as %j, in UTC', (time, stored) => {
    // Act
    const n = normalizeEvent({ type: 't', callId: 'c', time }, MB, NOW);
    // Assess
    expect(n.ok ? JSON.parse(n.record.line).event_time : n.reason).toBe(stored);
  });

  it('escapes user strings so every line parses back to the same values', () => {
    const tricky = 'quote " backslash \\ newline \n tab \t emoji 🎙️ ctrl \u0001 sep \u2028';
    const n = normalizeEvent(
      { type: tricky, callId: tricky, agentId: tricky, data: { transcript: tricky } },
      MB,
      NOW,
    );
    if (!n.ok) throw new Error(n.message);
    const row = JSON.parse(n.record.line);
    expect([row.event_type, row.call_id, row.agent_id, row.transcript]).toEqual([
      tricky,
      tricky,
      tricky,
      tricky,
    ]);
  });

  const big = 'z'.repeat(5 * MB);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  it.each([
    ['undefined', undefined, REJECT_REASONS.notAnObject],
    ['null', null, REJECT_REASONS.notAnObject],
    ['a string', 'hello', REJECT_REASONS.notAnObject],
    ['an array', [1], REJECT_REASONS.notAnObject],
    ['no type', { callId: 'c' }, REJECT_REASONS.invalidType],
    ['a long type', { type: 'x'.repeat(129), callId: 'c' }, REJECT_REASONS.invalidType],
    ['no callId', { type: 't' }, REJECT_REASONS.invalidCallId],
    ['an empty callId', { type: 't', callId: '' }, REJECT_REASONS.invalidCallId],
    ['a numeric agentId', { type: 't', callId: 'c', agentId: 5 }, REJECT_REASONS.invalidAgentId],
    ['a bad time', { type: 't', callId: 'c', time: 'yesterday' }, REJECT_REASONS.invalidTime],
    ['a time in 1990', { type: 't', callId: 'c', time: Date.UTC(1990, 0, 1) }, REJECT_REASONS.invalidTime],
    ['a time in 2200', { type: 't', callId: 'c', time: Date.UTC(2200, 0, 1) }, REJECT_REASONS.invalidTime],
    ['data as an array', { type: 't', callId: 'c', data: [1] }, REJECT_REASONS.invalidData],
    ['a string metric', { type: 't', callId: 'c', data: { ttftMs: 'fast' } }, REJECT_REASONS.invalidField],
    [
      'a fractional token count',
      { type: 't', callId: 'c', data: { promptTokens: 1.5 } },
      REJECT_REASONS.invalidField,
    ],
    [
      'a fractional byte count',
      { type: 't', callId: 'c', data: { argsBytes: 0.1 } },
      REJECT_REASONS.invalidField,
    ],
    ['a numeric flag', { type: 't', callId: 'c', data: { isFinal: 1 } }, REJECT_REASONS.invalidField],
    [
      'an infinite metric',
      { type: 't', callId: 'c', data: { ttftMs: Number.POSITIVE_INFINITY } },
      REJECT_REASONS.invalidField,
    ],
    ['a circular object', { type: 't', callId: 'c', data: { circular } }, REJECT_REASONS.unserializable],
    ['a BigInt', { type: 't', callId: 'c', data: { n: 10n } }, REJECT_REASONS.unserializable],
    ['a 5 MB string', { type: 't', callId: 'c', data: { blob: big } }, REJECT_REASONS.tooLarge],
    [
      'a nested 2 MB value',
      { type: 't', callId: 'c', data: { nested: { blob: 'y'.repeat(2 * MB) } } },
      REJECT_REASONS.tooLarge,
    ],
  ])('rejects %s with a typed reason', (_label, input, reason) => {
    const n = normalizeEvent(input, MB, NOW);
    expect(n).toMatchObject({ ok: false, reason });
    expect(n.ok ? '' : n.message).not.toBe('');
  });
});

describe('parseIsoTime', () => {
  it('agrees with Date.parse on every real time with a zone, across offsets, days and leap years', () => {
    // Prepare
    const random = seededRandom(2);
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const disagree: string[] = [];
    // Act
    for (let i = 0; i < 10_000; i++) {
      const ms = Date.UTC(2000, 0, 1) + Math.floor(random() * 3e12);
      const offset = Math.round((random() * 28 - 14) * 4) * 15; // minutes, ±14 h in quarter hours
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
      const abs = Math.abs(offset);
      const text = `${local}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
      if (parseIsoTime(text) !== Date.parse(text) || parseIsoTime(text) !== ms) disagree.push(text);
    }
    // Assess
    expect(disagree, 'times read differently from Date.parse').toEqual([]);
  });
});

describe('isoTime', () => {
  it('matches Date#toISOString across day, month, leap-year and century edges', () => {
    const edges = [
      Date.UTC(2000, 0, 1),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2099, 11, 31, 12, 0, 0, 7),
    ];
    const random = seededRandom(1);
    for (let i = 0; i < 10_000; i++) edges.push(Date.UTC(2000, 0, 1) + Math.floor(random() * 3e12));
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
