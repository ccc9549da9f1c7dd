/**
 * The collector's pending-call files: a save writes each call's new state beside the old one and
 * puts it in place only once `ready` (the spool's commit of the events it counts) resolved, so a
 * crash or a failed commit never leaves a span marked seen whose events were not made durable.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { newCall } from '../../packages/collect/src/calls/call.js';
import { CallStore } from '../../packages/collect/src/calls/store.js';
import { tempDir } from '../helpers/tmp.js';

const TRACE = 'ab'.repeat(16);
const S1 = '01'.repeat(8);
const S2 = '02'.repeat(8);

function storeWithCall(seen: string[]) {
  const base = tempDir('vl-collect-store');
  const store = new CallStore(`${base}/calls`, base);
  const call = newCall(TRACE, 'livekit', Date.now());
  call.seen.push(...seen);
  return { base, store, call };
}

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
    const [loaded] = new CallStore(`${base}/calls`, base).load();
    expect(loaded?.seen, 'the second span is not marked seen: its events may be lost').toEqual([S1]);
  });

  it('puts the new state in place once the commit resolved, and leaves no temporary file', async () => {
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
    const [loaded] = new CallStore(`${base}/calls`, base).load();
    expect(loaded?.seen).toEqual([S1, S2]);
    expect(readdirSync(`${base}/calls`)).toEqual([`${TRACE}.json`]);
  });
});
