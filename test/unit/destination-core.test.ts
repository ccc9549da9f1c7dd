/**
 * The delivery loop of one destination, with a scripted sink and fake timers: batching by
 * interval and by size, retries that reuse the same plan, flush outcomes, and a clean stop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Destination } from '../../packages/voicelake/src/destination.js';
import type { EventRecord } from '../../packages/voicelake/src/event.js';
import { MemoryLog } from '../../packages/voicelake/src/memory-log.js';
import type { Plan, SendReport, Sink, SinkOutcome } from '../../packages/voicelake/src/sinks/types.js';

class ScriptedPlan implements Plan {
  done = false;
  constructor(readonly records: readonly EventRecord[]) {}
  meta(): unknown {
    return undefined;
  }
}

class ScriptedSink implements Sink<ScriptedPlan> {
  readonly name = 'fake';
  readonly limits = { maxEvents: 100, maxBytes: 1 << 20 };
  readonly sends: { plan: ScriptedPlan; signal: AbortSignal }[] = [];
  /** Outcomes to return, in order; then `ok`. */
  readonly script: SinkOutcome[] = [];
  prepare(records: readonly EventRecord[]): ScriptedPlan {
    return new ScriptedPlan(records);
  }
  async send(plan: ScriptedPlan, report: SendReport, signal: AbortSignal): Promise<SinkOutcome> {
    this.sends.push({ plan, signal });
    const outcome = this.script.shift() ?? { kind: 'ok' };
    if (outcome.kind === 'ok' || outcome.kind === 'rejected') plan.done = true;
    if (outcome.kind === 'ok') report.delivered += plan.records.length;
    return outcome;
  }
  async close(): Promise<void> {}
}

const record = (i: number): EventRecord => ({ line: `{"i":${i}}`, bytes: 7, timeMs: i });

describe('Destination', () => {
  let log: MemoryLog;
  let sink: ScriptedSink;
  let destination: Destination;
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const append = (n: number) => {
    for (let i = 0; i < n; i++) {
      log.append(record(log.head));
      destination.onAppend();
    }
  };

  beforeEach(() => {
    vi.useFakeTimers();
    log = new MemoryLog(1 << 20);
    sink = new ScriptedSink();
    destination = new Destination(sink, log, { intervalMs: 1000, logger, random: () => 0.5 });
    for (const fn of Object.values(logger)) fn.mockClear();
  });

  afterEach(async () => {
    await destination.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('sends after the interval, not before', async () => {
    append(10);
    await vi.advanceTimersByTimeAsync(999);
    expect(sink.sends).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.sends).toHaveLength(1);
    expect(destination.stats()).toMatchObject({ delivered: 10, pending: 0, state: 'idle' });
  });

  it('sends at once when a batch is full', async () => {
    append(100);
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.sends).toHaveLength(1);
    expect(sink.sends[0]?.plan.records).toHaveLength(100);
  });

  it('retries a failed batch with backoff, reusing the same plan', async () => {
    sink.script.push({ kind: 'retry-later', error: new Error('ECONNRESET') });
    append(5);
    const flushed = destination.flush(log.head);
    await vi.advanceTimersByTimeAsync(0);
    expect(await flushed).toBe('buffered');
    expect(destination.stats()).toMatchObject({
      retried: 1,
      state: 'retrying',
      lastError: 'Error: ECONNRESET',
      pending: 5,
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    // Full jitter with random 0.5 on a 200 ms base: the retry comes after 100 ms.
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.sends).toHaveLength(2);
    expect(sink.sends[1]?.plan).toBe(sink.sends[0]?.plan);
    expect(destination.stats()).toMatchObject({ delivered: 5, pending: 0, lastError: undefined });
  });

  it('logs a configuration error once, however often it repeats, and keeps the events', async () => {
    for (let i = 0; i < 3; i++) sink.script.push({ kind: 'fatal', error: new Error('NoSuchBucket') });
    append(3);
    await destination.flush(log.head);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(sink.sends.length).toBeGreaterThanOrEqual(4);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(destination.stats()).toMatchObject({ delivered: 3, pending: 0 });
  });

  it('counts records a destination refuses for good as failed and moves on', async () => {
    sink.script.push({ kind: 'rejected', error: new Error('InvalidParameterException'), count: 4 });
    append(4);
    // flush() does not say `delivered` for events that never reached the destination.
    expect(await destination.flush(log.head)).toBe('refused');
    expect(destination.stats()).toMatchObject({ failed: 4, pending: 0, skipped: { rejected: 4 } });
    append(2);
    expect(await destination.flush(log.head)).toBe('delivered');
  });

  it('turns a local failure (here, planning throws) into a retry, never an unhandled rejection', async () => {
    const prepare = sink.prepare.bind(sink);
    let calls = 0;
    sink.prepare = (records) => {
      if (calls++ === 0) throw new Error('disk on fire');
      return prepare(records);
    };
    append(3);
    expect(await destination.flush(log.head)).toBe('buffered');
    expect(destination.stats()).toMatchObject({ state: 'retrying', lastError: 'Error: disk on fire' });
    await vi.advanceTimersByTimeAsync(100);
    expect(destination.stats()).toMatchObject({ delivered: 3, pending: 0 });
  });

  it('aborts an in-flight send on stop and leaves no timer behind', async () => {
    sink.script.push({ kind: 'retry-later', error: new Error('timeout') });
    append(2);
    await destination.flush(log.head);
    await destination.stop();
    expect(sink.sends[0]?.signal.aborted).toBe(true);
    expect(destination.stats().state).toBe('closed');
  });
});

describe('Destination replaying a batch left in flight', () => {
  /** A log holding records 0-9 whose destination resumes at `seq` with a saved batch [3, 10). */
  class ResumingLog extends MemoryLog {
    constructor(readonly seq: number) {
      super(1 << 20);
      for (let i = 0; i < 10; i++) this.append(record(i));
    }
    override register() {
      return { seq: this.seq, inflight: { start: 3, end: 10, meta: 'saved keys' } };
    }
  }
  class PlanRecordingSink extends ScriptedSink {
    readonly metas: unknown[] = [];
    override prepare(records: readonly EventRecord[], meta?: unknown): ScriptedPlan {
      this.metas.push(meta);
      return super.prepare(records);
    }
  }
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

  it.each([
    ['the whole batch: the saved plan (same keys)', 3, 'saved keys', 7],
    ['a part of it (its start dropped): a fresh plan, never the saved keys', 5, undefined, 5],
  ])('%s', async (_, seq, meta, replayed) => {
    // Prepare
    const log = new ResumingLog(seq);
    const sink = new PlanRecordingSink();
    const destination = new Destination(sink, log, { intervalMs: 1000, logger });
    // Act
    await destination.flush(log.head);
    await destination.stop();
    // Assess
    expect(sink.metas[0]).toBe(meta);
    expect(destination.stats()).toMatchObject({ replayed, delivered: 10 - seq, pending: 0 });
  });
});

describe('Destination replaying a batch whose first read fails', () => {
  it('keeps the saved plan for the retry (a transient read error does not cost the saved keys)', async () => {
    // Prepare: the first read (out of file descriptors) fails
    class FlakyLog extends MemoryLog {
      reads = 0;
      constructor() {
        super(1 << 20);
        for (let i = 0; i < 10; i++) this.append(record(i));
      }
      override register() {
        return { seq: 3, inflight: { start: 3, end: 10, meta: 'saved keys' } };
      }
      override read(from: number, maxEvents: number, maxBytes: number) {
        if (this.reads++ === 0) return Promise.reject(Object.assign(new Error('EMFILE'), { code: 'EMFILE' }));
        return super.read(from, maxEvents, maxBytes);
      }
    }
    const metas: unknown[] = [];
    const sink = new (class extends ScriptedSink {
      override prepare(records: readonly EventRecord[], meta?: unknown): ScriptedPlan {
        metas.push(meta);
        return super.prepare(records);
      }
    })();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const destination = new Destination(sink, new FlakyLog(), { intervalMs: 1000, logger, random: () => 0 });
    // Act: the flush fails over to a retry, which replays
    await destination.flush(10);
    await vi.waitFor(() => expect(destination.stats().delivered).toBe(7), { timeout: 2000 });
    await destination.stop();
    // Assess
    expect(metas).toEqual(['saved keys']);
    expect(destination.stats().replayed).toBe(7);
  });
});
