/**
 * PII redaction end to end: the corpus (test/fixtures/redaction-corpus.json: lines with planted
 * emails, phones, cards, SSNs and IBANs, and near-misses) goes through `track()` with the spool,
 * the local lake, S3 and CloudWatch (moto) all on. Then every copy is searched for the raw
 * values: the spool's segment files, the lake's gzip files, the S3 objects and the log events.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { clients, createBucket, readLogGroup, uniqueName } from '../helpers/aws.js';
import { readLake, readLocalLake } from '../helpers/lake.js';
import { tempDir } from '../helpers/tmp.js';

interface Line {
  text: string;
  pii: string[];
  kinds?: string[];
}
const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/redaction-corpus.json', import.meta.url), 'utf8'),
) as Line[];
const endpoint = inject('motoEndpoint');
const { s3, logs } = clients(endpoint);

const nearMisses = corpus.filter((l) => l.pii.length === 0).map((l) => l.text);
/**
 * Raw values, and their digits-only form for numbers (a reader could strip the spaces), unless
 * that form is itself a near-miss kept on purpose ("The reference is 123456789").
 */
const forms = (pii: string): string[] => {
  const digits = pii.replace(/[^\dA-Za-z@.]/g, '');
  const keep = digits.length >= 8 && digits !== pii && !nearMisses.some((t) => t.includes(digits));
  return keep ? [pii, digits] : [pii];
};

describe('PII redaction before anything is written', () => {
  it('leaves no raw value in the spool, the local lake, S3 or CloudWatch, and no near-miss changed', async () => {
    // Prepare
    expect(corpus.filter((l) => l.pii.length > 0).length, 'corpus lines with PII').toBeGreaterThanOrEqual(
      100,
    );
    expect(corpus.filter((l) => l.pii.length === 0).length, 'corpus near-miss lines').toBeGreaterThanOrEqual(
      100,
    );
    const bucket = uniqueName('vl-pii');
    const group = uniqueName('/voicelake/pii');
    await createBucket(s3, bucket);
    const spoolDir = tempDir('vl-pii-spool');
    const lake = tempDir('vl-pii-lake');
    const analytics = createAnalytics({
      s3: { bucket },
      cloudWatch: { logGroup: group },
      local: { dir: lake },
      aws: { endpoint },
      spool: { dir: spoolDir },
      redact: { fields: ['transcript', 'text', 'message', 'custom'] },
      logger: silentLogger,
      env: {},
    });
    // Act: each line as a transcript, as agent text, as an error message and as a tool argument.
    corpus.forEach((line, i) => {
      const callId = `call-${i}`;
      analytics.track({ type: 'user_turn', callId, data: { transcript: line.text, seq: i } });
      analytics.track({ type: 'agent_turn', callId, data: { text: line.text } });
      analytics.track({ type: 'error', callId, data: { message: line.text } });
      analytics.track({
        type: 'tool_call',
        callId,
        data: { toolName: 'lookup', args: { query: line.text } },
      });
    });
    await analytics.flush();
    // The spool as it is on disk before close (close deletes delivered segments).
    const segments = readdirSync(spoolDir)
      .filter((f) => f.startsWith('seg-'))
      .map((f) => readFileSync(join(spoolDir, f)).toString('utf8'))
      .join('\n');
    const closed = await analytics.close({ timeoutMs: 30_000 });
    // Assess
    expect(closed.undelivered).toEqual({ s3: 0, cloudwatch: 0, local: 0 });
    const copies = {
      spool: segments,
      lake: readLocalLake(lake)
        .map((l) => JSON.stringify(l.event))
        .join('\n'),
      s3: (await readLake(s3, bucket)).map((l) => JSON.stringify(l.event)).join('\n'),
      cloudwatch: (await readLogGroup(logs, group)).map((e) => e.message).join('\n'),
    };
    expect(copies.spool.length, 'spool segments were read').toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const line of corpus) {
      for (const pii of line.pii) {
        for (const form of forms(pii)) {
          for (const [where, text] of Object.entries(copies)) {
            // JSON escapes nothing in these values except quotes; search the JSON form too.
            if (text.includes(form) || text.includes(JSON.stringify(form).slice(1, -1)))
              leaks.push(`${where}: ${form}`);
          }
        }
      }
    }
    expect(leaks, 'raw PII found in a stored copy').toEqual([]);
    const stored = readLocalLake(lake).map((l) => l.event);
    const changed = corpus
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => line.pii.length === 0)
      .filter(
        ({ line, i }) =>
          stored.find((e) => e.call_id === `call-${i}` && e.event_type === 'user_turn')?.transcript !==
          line.text,
      );
    expect(
      changed.map(({ line }) => line.text),
      'near-misses changed by redaction',
    ).toEqual([]);
    const redacted = analytics.stats().redacted;
    const planted = corpus.reduce((n, l) => n + l.pii.length, 0);
    const total = Object.values(redacted).reduce((a, b) => a + (b ?? 0), 0);
    // Four copies of each line (transcript, text, message, tool argument).
    expect(total, 'placeholders counted in stats().redacted').toBe(planted * 4);
  });

  it('is on for transcripts and agent text by default, off with redact: false, and takes a custom redactor', async () => {
    const run = async (options: Parameters<typeof createAnalytics>[0]) => {
      const lake = tempDir('vl-pii-default');
      const a = createAnalytics({
        s3: false,
        cloudWatch: false,
        local: { dir: lake },
        spool: false,
        logger: silentLogger,
        env: {},
        ...options,
      });
      a.track({
        type: 'user_turn',
        callId: 'c',
        data: { transcript: 'mail me at a.b@example.com, Alice', note: 'a.b@example.com' },
      });
      await a.close();
      return { event: readLocalLake(lake)[0]?.event ?? {}, stats: a.stats() };
    };
    const byDefault = await run({});
    expect(byDefault.event.transcript).toBe('mail me at [EMAIL], Alice');
    expect(
      JSON.parse(byDefault.event.custom as string).note,
      'custom fields are not redacted by default',
    ).toBe('a.b@example.com');
    expect(byDefault.stats.redacted).toEqual({ email: 1 });
    const off = await run({ redact: false });
    expect(off.event.transcript).toBe('mail me at a.b@example.com, Alice');
    const custom = await run({ redact: { redactor: (t) => t.replaceAll('Alice', '[NAME]') } });
    expect(custom.event.transcript).toBe('mail me at [EMAIL], [NAME]');
    const throwing = await run({
      redact: {
        redactor: () => {
          throw new Error('boom');
        },
      },
    });
    expect(throwing.event.transcript, 'a failing redactor drops the text').toBe('[REDACTED]');
    expect(throwing.stats.redacted.redactor_error).toBe(1);
  });
});

describe('redaction never holds the event loop', () => {
  it('cuts a text over 16,384 characters before redacting it, marks and counts it', async () => {
    const lake = tempDir('vl-pii-long');
    const a = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: lake },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    const long = `${'4 1 5 5 5 5 0 1 3 2 '.repeat(50_000)}card 4111 1111 1111 1111`;
    const started = performance.now();
    a.track({ type: 'user_turn', callId: 'c', data: { transcript: long } });
    const elapsed = performance.now() - started;
    await a.close();
    const stored = readLocalLake(lake)[0]?.event.transcript as string;
    expect(stored.endsWith(' [TRUNCATED]')).toBe(true);
    expect(stored.length).toBeLessThan(17_000);
    expect(stored).not.toContain('4111');
    expect(a.stats().redacted.truncated).toBe(1);
    expect(elapsed, 'one track() of a 1 MB worst-case transcript, ms').toBeLessThan(200);
  });
});
