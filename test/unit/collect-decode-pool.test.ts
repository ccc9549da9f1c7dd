/**
 * The collector's decoding thread: bodies decoded there give exactly what inline decoding gives, a
 * malformed body is a `MalformedBody` (the server's 400), and a thread that dies hands back what
 * it had, decoded inline, so no request fails because of it.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../packages/collect/src/otlp/decode-body.js';
import { DecodePool, MalformedBody } from '../../packages/collect/src/otlp/decode-pool.js';
import { jsonBody, livekitCall, protobufBody } from '../helpers/otlp.js';

const call = livekitCall('RM_pool', Date.UTC(2026, 11, 7, 15, 0, 0));
const spans = call.batches.flat();

/** A thread that exits as soon as it is given a body. */
const dying = () =>
  new Worker('require("node:worker_threads").parentPort.once("message", () => process.exit(3))', {
    eval: true,
  });

describe('DecodePool', () => {
  it('decodes protobuf and JSON bodies on its thread exactly as inline', async () => {
    // Prepare
    const pool = new DecodePool();
    const pb = protobufBody(spans);
    const json = Buffer.from(jsonBody(spans));
    try {
      // Act: the thread loads before the first body, as startCollector waits for it
      await pool.ready();
      const [a, b] = await Promise.all([pool.decode('protobuf', pb), pool.decode('json', json)]);
      // Assess
      expect(a.spans.length).toBe(spans.length);
      expect(a).toEqual(decodeBody('protobuf', pb));
      expect(b).toEqual(decodeBody('json', json));
      expect(a.spans[0]?.attributes).toBeInstanceOf(Map);
      expect(pool.failures).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('rejects a malformed body, or invalid UTF-8 in JSON, with a MalformedBody, and goes on', async () => {
    const pool = new DecodePool();
    try {
      await expect(pool.decode('protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff]))).rejects.toBeInstanceOf(
        MalformedBody,
      );
      await expect(pool.decode('json', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).rejects.toThrow(/UTF-8/);
      expect((await pool.decode('protobuf', protobufBody(spans))).spans.length).toBe(spans.length);
      expect(pool.failures).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('decodes inline what a dying thread had, starts another, and stays inline after three failures', async () => {
    // Prepare: every thread this pool starts exits on its first body
    let started = 0;
    const told: string[] = [];
    const pool = new DecodePool(
      () => {
        started++;
        return dying();
      },
      (error) => told.push(error.message),
    );
    const pb = protobufBody(spans);
    try {
      // Act: a thread that never says it loaded holds ready() only for its timeout; then four
      // rounds of two bodies in flight at once
      await pool.ready(100);
      const rounds: number[][] = [];
      for (let r = 0; r < 4; r++) {
        const out = await Promise.all([pool.decode('protobuf', pb), pool.decode('protobuf', pb)]);
        rounds.push(out.map((d) => d.spans.length));
      }
      // Assess: every body decoded; three threads tried, then none
      expect(rounds).toEqual(Array.from({ length: 4 }, () => [spans.length, spans.length]));
      expect(pool.failures).toBe(3);
      expect(started).toBe(3);
      // Each failure is told (the collector logs it), the last one saying it is for good
      expect(told).toHaveLength(3);
      expect(told[0]).toMatch(
        /decoding thread failed \(it exited with code 3\); its bodies are decoded inline$/,
      );
      expect(told[2]).toMatch(/from now on all of them$/);
    } finally {
      await pool.close();
    }
  });

  it('decodes inline when it is built without a thread, and after close', async () => {
    const inline = new DecodePool(false);
    expect((await inline.decode('protobuf', protobufBody(spans))).spans.length).toBe(spans.length);
    const pool = new DecodePool();
    await pool.close();
    expect((await pool.decode('json', Buffer.from(jsonBody(spans)))).spans.length).toBe(spans.length);
  });
});
