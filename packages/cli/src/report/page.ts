/**
 * The report page: one self-contained HTML file. Inline CSS and inline SVG only: no script, no
 * font, no image, no request of any kind (a Content-Security-Policy says so too), so it opens
 * the same from a file, a web server or an email attachment.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Row } from '../lake/duckdb.js';
import * as charts from './charts.js';
import { num, PRICES, type Progress, type ReportData, str, TARGET_MS } from './data.js';
import { bytes, type Column, CSS, esc, figure, fmt, ms, pct, table, usd } from './html.js';
import { renderSvg } from './render.js';
import { SERIES } from './theme.js';
import type { Timeline } from './timeline.js';

export interface PageMeta {
  /** Where the data came from, e.g. `./voicelake-data` or `s3://bucket/prefix`. */
  readonly source: string;
  readonly progress?: Progress | undefined;
}

const kpi = (metric: string, label: string, value: number | null, shown: string, note: string): string =>
  `<div class="kpi" data-metric="${metric}" data-value="${value ?? ''}"><div class="label">${esc(label)}</div><div class="value">${esc(shown)}</div><div class="note">${note}</div></div>`;

const callLink = (i: number, callId: string): string => `<a href="#call-${i + 1}">${esc(callId)}</a>`;

const cols = (...pairs: [string, string][]): Column[] => pairs.map(([key, label]) => ({ key, label }));

function headlines(d: ReportData): string {
  const h = d.headline;
  const days = d.named.daily.length;
  const cost = h.storagePerMonth + h.puts;
  return `<div class="kpis">
${kpi('calls', 'Calls', h.calls, fmt(h.calls), `over ${days} day${days === 1 ? '' : 's'}`)}
${kpi('minutes', 'Total minutes', h.minutes, fmt(h.minutes, 1), h.calls ? `mean ${fmt((h.minutes * 60) / h.calls, 1)} s a call` : '')}
${kpi('e2e_p50', 'End-to-end latency p50', h.e2eP50, ms(h.e2eP50), 'caller stops speaking → agent audio')}
${kpi('e2e_p95', 'End-to-end latency p95', h.e2eP95, ms(h.e2eP95), '1 turn in 20 is slower')}
${kpi('tool_error_pct', 'Tool error rate', h.toolErrorPct, pct(h.toolErrorPct), `${fmt(h.toolErrors)} of ${fmt(h.toolCalls)} tool calls failed`)}
${kpi('lake_cost', 'Lake cost on S3 (estimate)', cost, usd(cost), `${usd(h.storagePerMonth)}/month storage + ${usd(h.puts)} PUTs, once`)}
</div>
<p class="caption">Calls and minutes sum the <code>daily</code> query (minutes: calls × mean duration, per day);
latency is the <code>latency</code> query with every agent${d.agent === undefined ? '' : ' of the report'} counted together;
the tool error rate sums the <code>tools</code> query. The cost is only the lake's: S3 Standard at
$${PRICES.s3StandardGbMonth} per GB-month (GB = 2<sup>30</sup> bytes) for the ${fmt(h.lakeObjects)} gzip objects of
this range (${bytes(h.lakeBytes)}, every agent), and $${PRICES.s3PutPer1000} per 1,000 PUTs, one per object
(${esc(PRICES.region)} list prices of ${esc(PRICES.date)}, as <code>voicelake cost</code> uses). It leaves out the
model, speech and telephony costs of the calls, and CloudWatch; <code>voicelake cost</code> estimates the lake in full.</p>`;
}

function busiest(daily: readonly Row[]): string {
  const top = [...daily].sort((a, b) => (num(b.calls) ?? 0) - (num(a.calls) ?? 0))[0];
  return top === undefined ? '' : ` Busiest: ${esc(top.day)}, ${fmt(num(top.calls))} calls.`;
}

function mode(d: ReportData['distributions'][keyof ReportData['distributions']], unit: string): string {
  const top = [...d.bins].sort((a, b) => b.n - a.n)[0];
  const most =
    top === undefined ? '' : ` The most common range: ${fmt(top.start, 1)}–${fmt(top.end, 1)} ${unit}.`;
  const cap = d.cap === undefined ? '' : ` The last bar counts everything from ${fmt(d.cap, 1)} ${unit} up.`;
  return `${most}${cap}`;
}

function timelineSection(svg: string, t: Timeline, i: number): string {
  const interrupted = t.turns.filter((x) => x.interrupted).length;
  const slow = t.turns.filter((x) => (x.e2eMs ?? 0) > TARGET_MS).length;
  const meta = [
    `agent ${esc(t.agentId)}`,
    `ended ${esc(t.endedAt)}`,
    `${fmt(t.durationS, 1)} s`,
    `${t.turns.length} turns`,
    `p95 end to end ${ms(t.e2eP95Ms)}`,
    `${t.toolCalls} tool calls (${t.toolErrors} failed)`,
    `${t.errors} errors`,
    `${interrupted} interrupted`,
    t.closeReason ? `closed: ${esc(t.closeReason)}` : '',
  ].filter(Boolean);
  return `<section class="timeline" id="call-${i + 1}" data-call-id="${esc(t.callId)}">
<h3>${i + 1}. ${esc(t.callId)}</h3>
<p class="meta">${meta.join(' · ')}</p>
${figure(`timeline-${i + 1}`, 'Turns, stage by stage', svg, `How long the caller waited for each of the ${t.turns.length} answers of this call, and where that wait went; ${slow} of them took longer than 1 s (dashed line).`)}
<p class="source"><a href="#slowest">Back to the slowest calls</a></p>
</section>`;
}

/** The whole page, charts rendered to SVG. */
export async function renderPage(d: ReportData, meta: PageMeta): Promise<string> {
  const n = d.named;
  const days = n.daily.map((r) => str(r.day));
  const span = days.length === 0 ? 'no data' : days.length === 1 ? days[0] : `${days[0]} to ${days.at(-1)}`;
  const scope = [
    `${esc(span)} (UTC)`,
    d.agent === undefined ? 'all agents' : `agent ${esc(d.agent)}`,
    esc(meta.source),
  ];
  const head = `<header><h1>Voice calls report</h1>
<p>${scope.join(' · ')} · generated ${esc(d.generatedAt.toISOString().slice(0, 16).replace('T', ' '))} UTC by <code>voicelake report</code></p></header>`;
  if (d.headline.calls === 0) return document(`${head}\n<p class="empty">No calls in this range.</p>`);

  const dist = d.distributions;
  const bar = meta.progress?.('drawing charts', 10 + d.timelines.length);
  let drawn = 0;
  const draw = async (spec: TopLevelSpec): Promise<string> => {
    const svg = await renderSvg(spec);
    bar?.tick(++drawn);
    return svg;
  };
  const svg = {
    perDay: await draw(charts.callsPerDay(n.daily)),
    duration: await draw(
      charts.histogram(dist.callDuration, { title: 'call duration, s', color: SERIES.blue }),
    ),
    overTime: await draw(charts.latencyOverTime(d.latencyByDay)),
    breakdown: await draw(charts.turnBreakdown(n.turns)),
    e2e: await draw(
      charts.histogram(dist.e2e, {
        title: 'end-to-end latency, ms',
        color: SERIES.orange,
        target: { at: TARGET_MS, label: '1 s' },
      }),
    ),
    tokens: await draw(charts.histogram(dist.tokens, { title: 'LLM tokens per call', color: SERIES.purple })),
    chars: await draw(
      charts.histogram(dist.characters, { title: 'TTS characters per call', color: SERIES.teal }),
    ),
    tools: await draw(charts.tools(n.tools)),
    interruptions: await draw(charts.interruptions(n.interruptions)),
    reasons: await draw(charts.closeReasons(d.closeReasons)),
  };
  const over = d.slowTurns.turns === 0 ? null : (100 * d.slowTurns.over) / d.slowTurns.turns;
  const maxMs = Math.max(TARGET_MS, ...d.timelines.flatMap((t) => t.turns.map((x) => x.e2eMs ?? 0)));
  const timelines: string[] = [];
  for (const [i, t] of d.timelines.entries())
    timelines.push(await timelineSection(await draw(charts.timeline(t, maxMs)), t, i));
  bar?.done();

  const body = `${head}
<nav class="no-print"><a href="#calls">Calls</a><a href="#latency">Latency</a><a href="#turns">Turn latency</a>
<a href="#usage">Tokens and characters</a><a href="#tools">Tools, errors, interruptions</a><a href="#slowest">Slowest calls</a>
<a href="#timelines">Timelines</a><a href="#recent">Recent calls</a></nav>
${headlines(d)}
<h2 id="calls">Calls</h2>
<div class="grid">
${figure('calls-per-day', 'Calls per day', svg.perDay, `Each bar is one day (UTC): how many calls ended that day.${busiest(n.daily)}`)}
${figure('call-duration', 'Call duration', svg.duration, `How long calls last: each bar counts the calls whose duration falls in its range.${mode(dist.callDuration, 's')}`)}
</div>
<h2 id="latency">Latency over time</h2>
${figure('latency-over-time', 'Daily p50 and p95 of each latency', svg.overTime, 'One panel per latency, one point per day (UTC): the typical turn (p50, blue) and the slowest one in twenty (p95, orange). LLM TTFT is the time to the first token, TTS TTFB the time to the first audio byte, end-of-utterance delay the wait to be sure the caller finished, end to end the whole gap the caller hears. A p95 that rises while p50 stays flat is a tail problem, not a general slowdown.')}
${table(n.latency, cols(['agent_id', 'agent'], ['ttft_p50', 'TTFT p50'], ['ttft_p95', 'TTFT p95'], ['ttfb_p50', 'TTFB p50'], ['ttfb_p95', 'TTFB p95'], ['eou_p50', 'EOU p50'], ['eou_p95', 'EOU p95'], ['e2e_p50', 'e2e p50'], ['e2e_p95', 'e2e p95']), 'latency')}
<h2 id="turns">Turn latency breakdown</h2>
<div class="grid">
${figure('turn-breakdown', 'Where a turn’s time goes, per agent', svg.breakdown, 'Each bar stacks the median (p50) of the three stages of a turn, in order: end-of-utterance delay, LLM time to first token, TTS time to first byte. The tick marks the median end-to-end latency; the dashed line is 1 s.')}
${figure('e2e-distribution', 'End-to-end latency of every turn', svg.e2e, `Each bar counts the agent turns whose end-to-end latency (caller stops speaking → agent audio starts) falls in its range. ${fmt(d.slowTurns.over)} of ${fmt(d.slowTurns.turns)} turns (${pct(over)}) took longer than 1 s, the dashed line.${mode(dist.e2e, 'ms')}`)}
</div>
${table(n.turns, cols(['agent_id', 'agent'], ['agent_turns', 'agent turns'], ['eou_delay_p50', 'EOU delay p50'], ['llm_ttft_p50', 'LLM TTFT p50'], ['tts_ttfb_p50', 'TTS TTFB p50'], ['e2e_p50', 'e2e p50'], ['e2e_p95', 'e2e p95']), 'turns')}
<h2 id="usage">Tokens and characters per call</h2>
<div class="grid">
${figure('tokens-per-call', 'LLM tokens per call', svg.tokens, `Prompt plus completion tokens of each call, as the <code>cost</code> query counts them: what drives the LLM bill.${mode(dist.tokens, 'tokens')}`)}
${figure('characters-per-call', 'TTS characters per call', svg.chars, `Characters each call sent to text-to-speech: what drives the TTS bill.${mode(dist.characters, 'characters')}`)}
</div>
<h3>The calls that used the most tokens</h3>
${table(n.cost.slice(0, 10), cols(['call_id', 'call'], ['agent_id', 'agent'], ['prompt_tokens', 'prompt'], ['prompt_cached_tokens', 'cached'], ['completion_tokens', 'completion'], ['tokens', 'tokens'], ['tts_characters', 'TTS chars'], ['stt_minutes', 'STT min']), 'cost')}
<h2 id="tools">Tools, errors, interruptions, close reasons</h2>
<div class="grid">
${figure('tools', 'Tool calls and failures', svg.tools, 'Calls per tool, split into those that succeeded and those that failed; the label gives the failures and the error rate.')}
${figure('interruptions', 'Interruptions', svg.interruptions, 'How often callers talked over the agent: the share of agent turns the caller interrupted, per agent (label: interrupted of all agent turns).')}
${figure('close-reasons', 'Why calls ended', svg.reasons, 'Calls per close reason, as the voice session reported it, with the share of all calls.')}
</div>
${table(n.tools, cols(['tool_name', 'tool'], ['calls', 'calls'], ['errors', 'errors'], ['error_pct', 'error %']), 'tools')}
<h3>Errors</h3>
${table(n.errors, cols(['error_type', 'type'], ['error_source', 'source'], ['errors', 'errors'], ['recoverable', 'recoverable'], ['calls', 'calls']), 'errors')}
<h2 id="slowest">Slowest calls</h2>
<p class="lead">The calls with the highest p95 end-to-end latency. Each links to its timeline below.</p>
${table(n.slowest, [{ key: 'call_id', label: 'call', html: (r) => callLink(n.slowest.indexOf(r), str(r.call_id)) }, ...cols(['agent_id', 'agent'], ['ended_at', 'ended (UTC)'], ['e2e_latency_p95_ms', 'e2e p95'], ['e2e_latency_p50_ms', 'e2e p50'], ['ttft_p95_ms', 'TTFT p95'], ['ttfb_p95_ms', 'TTFB p95'], ['eou_delay_p95_ms', 'EOU p95'], ['turns', 'turns'], ['duration_s', 'duration s'])], `slowest --limit ${n.slowest.length}`)}
<h2 id="timelines">Timelines of the slowest calls</h2>
<p class="lead">One waterfall per slow call. Each row is one agent turn, labelled with its number and when in the call the answer
started. Its bar starts when the caller stopped speaking and ends when the agent’s audio started, split into the
end-of-utterance delay, the LLM’s time to first token, the TTS’s time to first byte and anything else in the end-to-end
latency (grey). Tool calls, errors and interruptions of the turn are written after its bar. Every timeline has the same scale.</p>
${timelines.join('\n')}
<h2 id="recent">Recent calls</h2>
<p class="lead">The most recent calls, newest first, from their call summary.</p>
${table(n.calls, cols(['call_id', 'call'], ['agent_id', 'agent'], ['ended_at', 'ended (UTC)'], ['duration_s', 'duration s'], ['turns', 'turns'], ['interruptions', 'interruptions'], ['ttft_p50_ms', 'TTFT p50'], ['e2e_latency_p95_ms', 'e2e p95'], ['tokens', 'tokens'], ['tool_calls', 'tool calls'], ['tool_errors', 'tool errors'], ['errors', 'errors'], ['close_reason', 'close reason']), 'calls')}
<footer>Every number in the tables and the headline comes from a named query: run <code>voicelake query --list</code> to see them and <code>voicelake query &lt;name&gt;</code> to get the same rows. Charts of distributions and close reasons read the same <code>events</code> view. Days are UTC. No transcript or message text is included.</footer>`;
  return document(body);
}

const document = (body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Voice calls report</title>
<style>
${CSS}
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
