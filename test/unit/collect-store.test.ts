/**
 * The collector's pending-call log: a save appends its calls' lines only once `ready` (the spool's
 * commit of the events they count) resolved, so a crash or a failed commit never leaves a span
 * marked seen whose events were not made durable. Lines carry what is new since the call's last
 * line; a torn tail, a corrupt line, a planted symlink and the previous one-file-per-call layout
 * are each handled without losing the rest.
 */
import {
  appendFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CallState, newCall } from '../../packages/collect/src/calls/call.js';
import { CallStore } from '../../packages/collect/src/calls/store.js';
import { tempDir } from '../helpers/tmp.js';

const TRACE = 'ab'.repeat(16);
const S1 = '01'.repeat(8);
const S2 = '02'.repeat(8);
const S3 = '03'.repeat(8);
const held = (i: number) => ({
  eventId: `0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
  type: 'user_turn',
  timeMs: 1_700_000_000_000 + i,
  data: { transcript: `turn ${i}` },
});

const opened: CallStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
const open = (base: string): CallStore => {
  const store = new CallStore(`${base}/calls`, base);
  opened.push(store);
  return store;
};

function storeWithCall(seen: string[]) {
  const base = tempDir('vl-collect-store');
  const store = open(base);
  store.load();
  const call = newCall(TRACE, 'livekit', Date.now());
  call.seen.push(...seen);
  return { base, store, call };
}

const reload = (base: string): { store: CallStore; calls: CallState[] } => {
  const store = open(base);
  return { store, calls: store.load() };
};
/** A log whose last append was cut short, reopened: its store and its one call. */
async function tornLog() {
  const { base, store, call } = storeWithCall([S1]);
  await store.save([call]);
  appendFileSync(`${base}/calls/calls.log`, '{"torn');
  const { store: again, calls } = reload(base);
  opened.push(again);
  return { base, again, c: calls[0] as CallState };
}
const logLines = (base: string) => readFileSync(`${base}/calls/calls.log`, 'utf8').trim().split('\n');

describe('CallStore.save', () => {
  it('keeps the old state when the commit it waits for fails', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call]);
    call.seen.push(S2);
    // Act
    const saved = store.save([call], async () => {
      throw new Error('the spool answered dropped');
    });
    // Assess
    await expect(saved).rejects.toThrow(/dropped/);
    const [loaded] = reload(base).calls;
    expect(loaded?.seen, 'the second span is not marked seen: its events may be lost').toEqual([S1]);
  });

  it('appends the new state once the commit resolved, to one private log and nothing else', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call]);
    call.seen.push(S2);
    let committed = false;
    // Act
    await store.save([call], async () => {
      committed = true;
    });
    // Assess
    expect(committed).toBe(true);
    const [loaded] = reload(base).calls;
    expect(loaded?.seen).toEqual([S1, S2]);
    expect(readdirSync(`${base}/calls`)).toEqual(['calls.log']);
    expect(statSync(`${base}/calls/calls.log`).mode & 0o777).toBe(0o600);
    expect(logLines(base)).toHaveLength(2);
  });

  it('writes only what is new since a call’s last line, and reads the whole state back', async () => {
    // Prepare: a call holding 30 events, saved after each of them
    const { base, store, call } = storeWithCall([]);
    // Act
    for (let i = 0; i < 30; i++) {
      call.held.push(held(i));
      call.seen.push(i.toString(16).padStart(16, '0'));
      await store.save([call]);
    }
    // Assess: each line carries one event, not all before it
    const lines = logLines(base).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    expect(lines.map((l) => l.held.length)).toEqual(Array(30).fill(1));
    expect(lines[29]).toMatchObject({ heldFrom: 29, seenFrom: 29 });
    const [loaded] = reload(base).calls;
    expect(loaded?.held).toEqual(call.held);
    expect(loaded?.seen).toEqual(call.seen);
  });

  it('a whole line again once the held events were released (a new array)', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    call.held.push(held(1), held(2));
    await store.save([call]);
    // Act: the call is identified, its events tracked, nothing held any more
    call.held = [];
    call.seen.push(S2);
    await store.save([call]);
    // Assess
    expect(JSON.parse(logLines(base)[1] as string)).toMatchObject({ heldFrom: 0, held: [] });
    const [loaded] = reload(base).calls;
    expect(loaded?.held).toEqual([]);
    expect(loaded?.seen).toEqual([S1, S2]);
  });

  it('two saves prepared before either is written (pipelined) read back as the latest', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call]);
    // Act: the second prepared against the same base as the first, written after it
    call.seen.push(S2);
    const first = store.prepare([call]);
    call.seen.push(S3);
    const second = store.prepare([call]);
    await store.write(first);
    await store.write(second);
    // Assess
    const [loaded] = reload(base).calls;
    expect(loaded?.seen).toEqual([S1, S2, S3]);
  });

  it('forgets a removed call with the next save', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    const other = newCall('cd'.repeat(16), 'pipecat', Date.now());
    await store.save([call, other]);
    // Act
    store.remove(TRACE);
    await store.save([]);
    // Assess
    expect(reload(base).calls.map((c) => c.traceId)).toEqual(['cd'.repeat(16)]);
  });

  it('a removal whose save failed goes into the next save', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call, newCall('cd'.repeat(16), 'pipecat', Date.now())]);
    store.remove(TRACE);
    // Act
    const failed = store.save([], async () => {
      throw new Error('the spool answered dropped');
    });
    await expect(failed).rejects.toThrow(/dropped/);
    await store.save([]);
    // Assess
    expect(reload(base).calls.map((c) => c.traceId)).toEqual(['cd'.repeat(16)]);
  });

  it('prepares one rewrite at a time: the saves prepared meanwhile append after it', async () => {
    // Prepare: a torn tail, so the next save rewrites the log
    const { base, again, c } = await tornLog();
    // Act: a second save prepared before the rewrite is written
    c.seen.push(S2);
    const first = again.prepare([c]);
    c.seen.push(S3);
    const second = again.prepare([c]);
    await again.write(first);
    await again.write(second);
    // Assess
    expect([first.rewrite, second.rewrite]).toEqual([true, false]);
    expect(reload(base).calls[0]?.seen).toEqual([S1, S2, S3]);
  });

  it('after a rewrite whose commit failed, the next save rewrites, and nothing is appended to the torn log meanwhile', async () => {
    // Prepare: a torn tail
    const { base, again, c } = await tornLog();
    // Act
    const failed = again.save([c], async () => {
      throw new Error('the spool answered dropped');
    });
    await expect(failed).rejects.toThrow(/dropped/);
    c.seen.push(S2);
    const next = again.prepare([c]);
    await again.write(next);
    // Assess
    expect(next.rewrite).toBe(true);
    expect(logLines(base).every((l) => JSON.parse(l))).toBe(true);
    expect(reload(base).calls[0]?.seen).toEqual([S1, S2]);
  });
});

describe('CallStore.load', () => {
  it('ignores a torn last line, and the next save rewrites the log without it', async () => {
    // Prepare: a crash cut the last append short
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call]);
    appendFileSync(`${base}/calls/calls.log`, '{"traceId":"abab');
    // Act
    const { store: again, calls } = reload(base);
    // Assess
    expect(again.invalid, 'a torn tail is a crash, not a bad line').toBe(0);
    expect(calls[0]?.seen).toEqual([S1]);
    // Act: the next save
    const c = calls[0] as CallState;
    c.seen.push(S2);
    await again.save([c]);
    // Assess: no fragment glued to the new line
    expect(logLines(base).every((l) => JSON.parse(l))).toBe(true);
    expect(reload(base).calls[0]?.seen).toEqual([S1, S2]);
    expect(existsSync(`${base}/calls/.calls.log.tmp`)).toBe(false);
  });

  it('counts and skips a corrupt line, keeping every other call', async () => {
    // Prepare
    const { base, store, call } = storeWithCall([S1]);
    const other = newCall('cd'.repeat(16), 'pipecat', Date.now());
    await store.save([call]);
    appendFileSync(`${base}/calls/calls.log`, '{"traceId":"not hex","framework":1}\n[1,2\n');
    await store.save([other]);
    // Act
    const { store: again, calls } = reload(base);
    // Assess
    expect(again.invalid).toBe(2);
    expect(calls.map((c) => c.traceId).sort()).toEqual([TRACE, 'cd'.repeat(16)]);
  });

  it('refuses a line that continues a state it does not have', async () => {
    // Prepare: a delta line whose first lines are gone
    const { base, store, call } = storeWithCall([S1]);
    await store.save([call]);
    call.seen.push(S2);
    await store.save([call]);
    const [, second] = logLines(base);
    writeFileSync(`${base}/calls/calls.log`, `${second}\n`, { mode: 0o600 });
    // Act
    const { store: again, calls } = reload(base);
    // Assess
    expect(again.invalid).toBe(1);
    expect(calls).toEqual([]);
  });

  it('folds the previous one-file-per-call layout into the log, then removes the files', async () => {
    // Prepare: a call file as the previous version wrote it
    const base = tempDir('vl-collect-store');
    open(base);
    const old = newCall(TRACE, 'livekit', Date.now());
    old.seen.push(S1);
    writeFileSync(`${base}/calls/${TRACE}.json`, JSON.stringify({ ...old, firstMs: null }), { mode: 0o600 });
    writeFileSync(`${base}/calls/${'ef'.repeat(16)}.json`, '{"broken":', { mode: 0o600 });
    // Act
    const { store, calls } = reload(base);
    await store.save([]);
    // Assess
    expect(calls.map((c) => c.seen)).toEqual([[S1]]);
    expect(store.invalid).toBe(1);
    expect(readdirSync(`${base}/calls`).sort()).toEqual(['calls.log', `${'ef'.repeat(16)}.json.bad`]);
    expect(reload(base).calls.map((c) => c.seen)).toEqual([[S1]]);
  });

  it('never writes through a symlink planted as the log', async () => {
    // Prepare
    const base = tempDir('vl-collect-store');
    const target = `${tempDir('vl-collect-target')}/victim`;
    writeFileSync(target, 'untouched', { mode: 0o600 });
    const store = open(base);
    store.load();
    symlinkSync(target, `${base}/calls/calls.log`);
    // Act
    const saved = store.save([newCall(TRACE, 'livekit', Date.now())]);
    // Assess
    await expect(saved).rejects.toThrow();
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(`${base}/calls/calls.log`).isSymbolicLink()).toBe(true);
  });

  it('rewrites the log once it is four times what was live, and loses nothing', async () => {
    // Prepare: 3,000 calls saved three times over (each save appends about 4 MiB)
    const { base, store } = storeWithCall([]);
    const calls = Array.from({ length: 3000 }, (_, i) => {
      const c = newCall(i.toString(16).padStart(32, '0'), 'livekit', Date.now());
      c.held.push(held(i));
      return c;
    });
    const sizes: number[] = [];
    // Act
    for (let round = 0; round < 4; round++) {
      for (const c of calls) c.held = [held(round)];
      await store.save(calls);
      sizes.push(statSync(`${base}/calls/calls.log`).size);
    }
    // Assess: it grew, then was rewritten to one line per call
    expect(sizes[1]).toBeGreaterThan(sizes[0] as number);
    expect(Math.min(...sizes.slice(2))).toBeLessThan(sizes[1] as number);
    const { calls: loaded } = reload(base);
    expect(loaded).toHaveLength(3000);
    expect(loaded.every((c) => c.held[0]?.eventId === held(3).eventId)).toBe(true);
  });
});
