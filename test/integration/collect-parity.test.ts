/**
 * Issue 23's last "done when": the report and the named queries show a Python LiveKit call and a
 * Pipecat call exactly as they show a Node one. Three calls of the same script (a greeting, a
 * tool call, a failing tool, an interrupted answer, a goodbye):
 *   - node: the LiveKit adapter (`instrumentSession`) writing to a local lake;
 *   - livekit: the real LiveKit Agents 1.8.9 (test/python/livekit_call.py) into a real `voicelake collect`;
 *   - pipecat: the real Pipecat 1.14.0 (test/python/pipecat_call.py) into another one.
 * "Exactly as" means, for every named query and for the `call_ended` summary: the same columns,
 * and a value (not null, not 0) in a Python call's row wherever the Node call's row has one,
 * except where the framework does not send the datum at all (NOT_SENT, with the reason, from
 * ../shared/otel-spans.md; and each exception must still hold, so the list cannot go stale).
 * The report over one lake holding the three calls shows each in the same tables, as a slowest
 * call with its timeline, with the same turn stages, tool calls and interruptions.
 */
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES, type NamedQueryName } from '../../packages/cli/src/lake/named-queries.js';
import { voicelake } from '../helpers/cli.js';
import {
  type CollectorProcess,
  collectorDirs,
  queryLake,
  runPython,
  startCollectorProcess,
} from '../helpers/collect-process.js';
import { readLocalLake } from '../helpers/lake.js';
import { NODE_CALL, nodeVoiceCall } from '../helpers/node-voice-call.js';
import { tempDir } from '../helpers/tmp.js';
import { agentsPython, agentTestsOff } from '../helpers/venv.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Python = 'livekit' | 'pipecat';
type Row = Record<string, unknown>;

const NO_EOU =
  'Pipecat 1.14 sends no end-of-utterance span or attribute (turn boundaries only): otel-spans.md, "EOU / endpointing"';
const NO_USAGE_OBJECT =
  "the Node session's AgentSessionUsage object (session_usage_updated); neither Python framework sends a session usage object, only per-request token counts, which fill prompt_tokens and completion_tokens";

/**
 * Columns (of the named queries and of `call_ended`) a Python framework's spans never carry,
 * with the reason. Everything else the Node call has, the Python calls must have too.
 */
const NOT_SENT: Record<Python, Record<string, string>> = {
  livekit: {
    stt_audio_ms:
      'LiveKit Agents 1.8.9 puts no STT audio duration on any span (user_turn has transcript, confidence and delays only); it is only in the lk.agents.usage.* OTel metrics, which are not traces',
    stt_minutes: 'stt_audio_ms / 60000: see stt_audio_ms',
    usage_json: NO_USAGE_OBJECT,
  },
  pipecat: {
    eou_p50: NO_EOU,
    eou_p95: NO_EOU,
    eou_delay_p50: NO_EOU,
    eou_delay_p50_ms: NO_EOU,
    eou_delay_p95_ms: NO_EOU,
    close_reason:
      "Pipecat's conversation span carries no end reason (conversation.id and conversation.type only)",
    usage_json: NO_USAGE_OBJECT,
  },
};

const NO_SPEECH_ID =
  'only the agent_turn span carries lk.speech_id (the agent_turn event has it); llm_request, tts_request and eou_wait do not';

/**
 * The event columns (`<event_type>.<column>`, or a whole `<event_type>`) the Node call records
 * and a Python framework's spans never carry, with the reason.
 */
const EVENTS_NOT_SENT: Record<Python, Record<string, string>> = {
  livekit: {
    stt_metrics: NOT_SENT.livekit.stt_audio_ms as string,
    'user_turn.language':
      'user_turn carries no language; only eou_detection has lk.eou.language, and only with a turn detector',
    'eou_metrics.speech_id': NO_SPEECH_ID,
    'llm_metrics.speech_id': NO_SPEECH_ID,
    'tts_metrics.speech_id': NO_SPEECH_ID,
  },
  pipecat: {
    'call_started.custom': 'Pipecat has no job or room: the conversation span carries conversation.id only',
    eou_metrics: NO_EOU,
    'user_turn.end_of_utterance_delay_ms': NO_EOU,
    'user_turn.transcription_delay_ms':
      'the stt span has metrics.ttfb (kept as stt_metrics) but no delay after the end of speech',
    'user_turn.on_user_turn_completed_delay_ms': 'Pipecat has no on_user_turn_completed hook',
    'stt_metrics.streamed': 'the stt span says nothing of streaming (vad_enabled, settings.* only)',
    'llm_metrics.cancelled': 'the llm span has no cancelled or interrupted attribute',
    'llm_metrics.tokens_per_second': 'the llm span has no tokens per second',
    'llm_metrics.speech_id': 'Pipecat has no speech id',
    'tts_metrics.audio_duration_ms': 'the tts span has the character count but no audio duration',
    'tts_metrics.cancelled':
      'tts.interrupted is set only when the TTS span is still open at the interruption (otel-spans.md, "interruptions")',
    'tts_metrics.speech_id': 'Pipecat has no speech id',
  },
};

/** The report's column labels (report/page.ts) of the NOT_SENT columns it shows. */
const LABEL: Record<string, string> = {
  eou_p50: 'EOU p50',
  eou_p95: 'EOU p95',
  eou_delay_p50: 'EOU delay p50',
  eou_delay_p95_ms: 'EOU p95',
  stt_minutes: 'STT min',
  close_reason: 'close reason',
};

/** The envelope every event has; the comparison is about what a call's events say. */
const ENVELOPE = new Set([
  'event_id',
  'event_type',
  'event_time',
  'call_id',
  'agent_id',
  'schema_version',
  'ingested_at',
]);

/** A value: not missing, not empty, not zero (a total of 0 tokens is no datum either). */
const has = (v: unknown): boolean => v !== null && v !== undefined && v !== '' && v !== 0 && v !== '0';
/**
 * A stage of the report's turn charts the Python call may lack: `other` (the rest of the end to
 * end latency, there only when the stages do not fill it) and the end-of-utterance delay of a
 * framework that sends none.
 */
const excusedStage = (fw: Python, stage: string): boolean =>
  stage === 'other' || (stage === 'end-of-utterance delay' && NOT_SENT[fw].eou_delay_p50 !== undefined);

/** A report cell that shows a value (tables print null as an en dash). */
const shows = (text: string): boolean => has(text.trim()) && text.trim() !== '–';

/** The columns of `node` with a value that `python` leaves without one, NOT_SENT aside. */
function missing(node: Row, python: Row, fw: Python): string[] {
  return Object.keys(node).filter((k) => has(node[k]) && !has(python[k]) && NOT_SENT[fw][k] === undefined);
}

const QUERIES = Object.keys(NAMED_QUERIES) as NamedQueryName[];

// On .ci/run's extra Node legs (VOICELAKE_AGENT_TESTS=off) the frameworks run on the first leg only.
describe.skipIf(agentTestsOff())('a Python LiveKit call and a Pipecat call, shown as a Node call is', () => {
  const lakes = { node: tempDir('vl-parity-node'), livekit: '', pipecat: '', all: tempDir('vl-parity-all') };
  const callIds: Record<'node' | Python, string> = { node: NODE_CALL.callId, livekit: '', pipecat: '' };
  const rows = {} as Record<NamedQueryName, Record<'node' | Python, Row[]>>;
  const collectors: CollectorProcess[] = [];
  let browser: Browser | undefined;

  beforeAll(async () => {
    // Prepare, Act: both Python calls at once (they run in real time, mostly waiting), each
    // through its own collector and lake, so every query has a row per call; then the Node call.
    const python = agentsPython();
    const run = async (fw: Python, script: string, args: string[]) => {
      const dirs = collectorDirs();
      lakes[fw] = dirs.lake;
      const collector = await startCollectorProcess(dirs);
      collectors.push(collector);
      const ran = await runPython(python, script, [`${collector.url}/v1/traces`, ...args], 120_000);
      expect(ran.code, ran.stderr).toBe(0);
      const stopped = await collector.stop();
      expect(stopped.code, collector.stderr).toBe(0);
    };
    await Promise.all([
      run('livekit', 'livekit_call.py', ['AJ_parity', '2']),
      run('pipecat', 'pipecat_call.py', ['conv-parity']),
      nodeVoiceCall(lakes.node),
    ]);
    const ended = (lake: string) =>
      readLocalLake(lake)
        .map((l) => l.event)
        .find((e) => e.event_type === 'call_ended');
    callIds.livekit = String(ended(lakes.livekit)?.call_id);
    callIds.pipecat = String(ended(lakes.pipecat)?.call_id);
    for (const lake of [lakes.node, lakes.livekit, lakes.pipecat])
      cpSync(lake, lakes.all, { recursive: true });
    for (const name of QUERIES)
      rows[name] = {
        node: await queryLake(name, lakes.node),
        livekit: await queryLake(name, lakes.livekit),
        pipecat: await queryLake(name, lakes.pipecat),
      };
  }, 180_000);

  afterAll(async () => {
    for (const c of collectors) if (c.child.exitCode === null) await c.stop();
    await browser?.close();
  });

  it.each(QUERIES)(
    'voicelake query %s: the same columns, and a value wherever the Node call has one',
    (name) => {
      const { node, livekit, pipecat } = rows[name];
      for (const [fw, python] of [
        ['livekit', livekit],
        ['pipecat', pipecat],
      ] as const) {
        expect(python.length, `${fw}: rows`).toBe(node.length);
        node.forEach((n, i) => {
          const p = python[i] ?? {};
          expect(Object.keys(p), `${fw}: columns`).toEqual(Object.keys(n));
          expect(missing(n, p, fw), `${fw}: columns with no value where the Node call has one`).toEqual([]);
        });
      }
    },
  );

  it('the script reads the same in every call: turns, tools, the failing tool, the interruption', () => {
    for (const fw of ['node', 'livekit', 'pipecat'] as const) {
      expect(rows.calls[fw][0], fw).toMatchObject({ turns: 5, tool_calls: 2, tool_errors: 1, errors: 0 });
      expect(rows.tools[fw], fw).toEqual([
        { tool_name: 'book_table', calls: 1, errors: 1, error_pct: 100 },
        { tool_name: 'get_weather', calls: 1, errors: 0, error_pct: 0 },
      ]);
      expect(rows.interruptions[fw][0]?.interrupted, fw).toBeGreaterThanOrEqual(1);
      // No model failed in any call: the errors query has no row for any of them.
      expect(rows.errors[fw], fw).toEqual([]);
    }
  });

  it('each NOT_SENT column is really missing (an exception that no longer holds must go)', () => {
    const ended = (lake: string) =>
      readLocalLake(lake)
        .map((l) => l.event)
        .find((e) => e.event_type === 'call_ended') as Row;
    const nodeCells = [ended(lakes.node), ...QUERIES.flatMap((q) => rows[q].node)];
    for (const fw of ['livekit', 'pipecat'] as const) {
      const cells = [ended(lakes[fw]), ...QUERIES.flatMap((q) => rows[q][fw])];
      for (const column of Object.keys(NOT_SENT[fw])) {
        expect(
          nodeCells.some((r) => has(r[column])),
          `${fw}: ${column} is a column the Node call fills`,
        ).toBe(true);
        expect(
          cells.filter((r) => has(r[column])).map((r) => r[column]),
          `${fw}: ${column} has a value now`,
        ).toEqual([]);
      }
    }
  });

  it('every event type and column the Node call records, the Python calls record too', () => {
    /** Per event type, the columns some event of it fills. */
    const filled = (lake: string) => {
      const out = new Map<string, Set<string>>();
      for (const { event } of readLocalLake(lake)) {
        const type = String(event.event_type);
        const set = out.get(type) ?? new Set<string>();
        for (const [k, v] of Object.entries(event)) if (!ENVELOPE.has(k) && has(v)) set.add(k);
        out.set(type, set);
      }
      return out;
    };
    const node = filled(lakes.node);
    for (const fw of ['livekit', 'pipecat'] as const) {
      const python = filled(lakes[fw]);
      const notSent = EVENTS_NOT_SENT[fw];
      const gaps: string[] = [];
      const stale: string[] = [];
      for (const [type, columns] of node) {
        if (type === 'call_ended') continue; // its own test, above
        if (notSent[type] !== undefined) {
          if (python.has(type)) stale.push(type);
          continue;
        }
        for (const column of columns) {
          const key = `${type}.${column}`;
          const has = python.get(type)?.has(column) === true;
          if (!has && notSent[key] === undefined) gaps.push(key);
          if (has && notSent[key] !== undefined) stale.push(key);
        }
      }
      for (const key of Object.keys(notSent)) {
        const [type, column] = key.split('.') as [string, string | undefined];
        if (column === undefined ? !node.has(type) : node.get(type)?.has(column) !== true) stale.push(key);
      }
      expect(gaps, `${fw}: what the Node call records and this call does not`).toEqual([]);
      expect(stale, `${fw}: exceptions that no longer hold`).toEqual([]);
    }
  });

  it('call_ended carries the same summary fields as the Node adapter’s', () => {
    const summary = (lake: string): Row => {
      const e = readLocalLake(lake)
        .map((l) => l.event)
        .filter((x) => x.event_type === 'call_ended');
      expect(e).toHaveLength(1);
      return e[0] as Row;
    };
    const fields = (r: Row) =>
      Object.keys(r)
        .filter((k) => !ENVELOPE.has(k) && has(r[k]))
        .sort();
    const node = summary(lakes.node);
    // Every summary field of the Node adapter's (voicelake/livekit totals.ts) is there, with a value.
    expect(fields(node)).toEqual(
      expect.arrayContaining([
        'call_duration_ms',
        'turns',
        'user_turns',
        'ttft_p50_ms',
        'e2e_latency_p95_ms',
      ]),
    );
    for (const fw of ['livekit', 'pipecat'] as const) {
      const python = summary(lakes[fw]);
      // `custom` holds the collector's `source` (otlp:livekit, otlp:pipecat): where the call came from.
      expect(
        fields(python).filter((k) => k !== 'custom'),
        `${fw}: call_ended fields with a value`,
      ).toEqual(fields(node).filter((k) => NOT_SENT[fw][k] === undefined));
      expect(JSON.parse(String(python.custom)), fw).toEqual({ source: `otlp:${fw}` });
    }
  });

  describe('the report over one lake holding the three calls', () => {
    let page: Page;

    beforeAll(async () => {
      if (!existsSync(CHROMIUM))
        throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
      const out = join(tempDir('vl-parity-report'), 'report.html');
      await voicelake(['report', '--data-dir', lakes.all, '--out', out]);
      browser = await chromium.launch({ executablePath: CHROMIUM });
      page = await browser.newPage();
      const url = pathToFileURL(out).href;
      await page.route('**/*', (route) =>
        route.request().url() === url ? route.continue() : route.abort('blockedbyclient'),
      );
      await page.goto(url, { waitUntil: 'load' });
    }, 60_000);

    /** A table's header labels and its rows' cell texts. */
    const tableOf = (query: string) =>
      page.$eval(`table[data-query^="${query}"]`, (t) => ({
        head: [...t.querySelectorAll('th')].map((th) => th.textContent ?? ''),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ),
      }));

    it.each([
      ['calls', 'call'],
      ['slowest', 'call'],
      ['cost', 'call'],
      ['latency', 'agent'],
      ['turns', 'agent'],
    ] as const)(
      'the %s table has a row per %s, with a value wherever the Node call’s row has one',
      async (query, per) => {
        const { head, rows: cells } = await tableOf(query);
        const ids = {
          node: per === 'call' ? callIds.node : NODE_CALL.agentId,
          livekit: per === 'call' ? callIds.livekit : 'livekit-test-agent',
          pipecat: per === 'call' ? callIds.pipecat : 'pipecat-test-bot',
        };
        const rowOf = (id: string) => cells.find((r) => r[0] === id);
        const node = rowOf(ids.node);
        expect(node, `the Node call in the ${query} table`).toBeDefined();
        for (const fw of ['livekit', 'pipecat'] as const) {
          const python = rowOf(ids[fw]);
          expect(python, `${fw}: a row in the ${query} table`).toBeDefined();
          const excused = new Set(Object.keys(NOT_SENT[fw]).map((k) => LABEL[k]));
          const blank = head.filter(
            (label, i) => shows(node?.[i] ?? '') && !shows(python?.[i] ?? '') && !excused.has(label),
          );
          expect(blank, `${fw}: ${query} cells left blank where the Node call's has a value`).toEqual([]);
        }
      },
    );

    it('each call has its timeline, with the same turn stages, tool calls and interruptions as the Node call', async () => {
      const timelines = await page.$$eval('section.timeline', (sections) =>
        sections.map((s) => ({
          callId: s.dataset.callId ?? '',
          meta: s.querySelector('.meta')?.textContent ?? '',
          marks: [...s.querySelectorAll('[aria-label]')].map((m) => m.getAttribute('aria-label') ?? ''),
        })),
      );
      const of = (callId: string) => {
        const t = timelines.find((x) => x.callId === callId);
        expect(t, `a timeline for ${callId}`).toBeDefined();
        const field = (label: string, key: string) =>
          label
            .split('; ')
            .find((p) => p.startsWith(`${key}: `))
            ?.slice(key.length + 2);
        const turnNo = (label: string) => field(label, 'turn · answer at') ?? field(label, 'turn');
        const stages = new Map<string, Set<string>>();
        const notes: string[] = [];
        for (const label of t?.marks ?? []) {
          const stage = field(label, 'stage');
          const note = field(label, 'note');
          const turn = turnNo(label)?.split(' · ')[0];
          if (turn === undefined) continue;
          if (stage !== undefined) stages.set(turn, (stages.get(turn) ?? new Set()).add(stage));
          if (note !== undefined) notes.push(`${turn}: ${note}`);
        }
        return { meta: t?.meta ?? '', stages, notes };
      };
      const node = of(callIds.node);
      expect(node.meta).toContain('5 turns');
      expect(node.meta).toContain('2 tool calls (1 failed)');
      expect(node.notes).toEqual(['2: get_weather', '3: book_table failed', '4: interrupted']);
      expect(node.stages.size).toBe(5);
      for (const fw of ['livekit', 'pipecat'] as const) {
        const python = of(callIds[fw]);
        expect(python.meta, fw).toContain('5 turns');
        expect(python.meta, fw).toContain('2 tool calls (1 failed)');
        expect(python.meta, fw).toMatch(/ [1-9] interrupted/);
        if (NOT_SENT[fw].close_reason === undefined) expect(python.meta, fw).toContain('closed: ');
        expect(python.notes, `${fw}: tool calls and interruptions on their turns`).toEqual(
          expect.arrayContaining(node.notes),
        );
        // The stages the Node call's turns show (end-of-utterance delay, LLM TTFT, TTS TTFB), on every turn.
        for (const [turn, stages] of node.stages) {
          const got = python.stages.get(turn) ?? new Set();
          expect(
            [...stages].filter((s) => !got.has(s) && !excusedStage(fw, s)),
            `${fw}: stages missing on turn ${turn}`,
          ).toEqual([]);
        }
      }
    });

    it('the per-agent charts have each agent: its turn breakdown with the Node call’s stages, its interruptions', async () => {
      const marks = (chart: string) =>
        page.$$eval(`figure[data-chart="${chart}"] [aria-label]`, (ms) =>
          ms.map((m) => m.getAttribute('aria-label') ?? ''),
        );
      const breakdown = await marks('turn-breakdown');
      const stagesOf = (agent: string) =>
        new Set(
          breakdown
            .filter((l) => l.includes(`; agent: ${agent}; `))
            .map((l) => /; stage: ([^;]+)/.exec(l)?.[1] ?? ''),
        );
      const node = stagesOf(NODE_CALL.agentId);
      expect([...node].sort()).toEqual(['LLM TTFT', 'TTS TTFB', 'end-of-utterance delay']);
      const interruptions = await marks('interruptions');
      for (const [fw, agent] of [
        ['livekit', 'livekit-test-agent'],
        ['pipecat', 'pipecat-test-bot'],
      ] as const) {
        const got = stagesOf(agent);
        expect(
          [...node].filter((s) => !got.has(s) && !excusedStage(fw, s)),
          `${fw}: turn breakdown stages`,
        ).toEqual([]);
        expect(
          interruptions.some((l) => l.includes(agent)),
          `${fw}: interruptions`,
        ).toBe(true);
      }
      expect(interruptions.some((l) => l.includes(NODE_CALL.agentId))).toBe(true);
    });
  });
});
