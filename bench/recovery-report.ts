/** Section 11 of docs/benchmarks.md (recovery and adoption off the event loop): summary rows and the section. */
import type { recovery } from './recovery.js';

export type RecoveryResults = Awaited<ReturnType<typeof recovery>>;

const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
const ms = (v: number) => `${v} ms`;

/** The three summary rows (the same three, "not measured", in runs from before section 11). */
export function recoveryRows(r: RecoveryResults | undefined) {
  const size = r ? `${r.mib >= 1024 ? `${r.mib / 1024} GiB` : `${r.mib} MiB`}` : '1 GiB';
  const row = (name: string, c: RecoveryResults['fresh'] | undefined, ratio: string) => ({
    name: `11. Worst event-loop gap at 1,000 events/s, ${name}`,
    voicelake: c ? `${ms(c.worstLateRecoveringMs)} (eld max ${ms(c.eldMaxMs)})` : 'not measured',
    baseline: r ? `nothing to recover: ${ms(r.fresh.worstLateMs)}; before: ${ms(r.beforeSynchronousMs)}` : '',
    ratio,
    target: '≤ 20 ms',
    verdict: c ? mark(c.worstLateRecoveringMs <= 20) : '',
    figure: c ? ms(c.worstLateRecoveringMs) : '-',
  });
  return [
    row(
      `adopting a ${size} leftover spool`,
      r?.adopting,
      r ? `recovery ${r.recoveryRatio.adopting}× the time` : '',
    ),
    row(
      `starting on an own spool of ${size}`,
      r?.starting,
      r ? `recovery ${r.recoveryRatio.starting}× the time` : '',
    ),
    row('lock contention', r?.contention, ''),
  ];
}

/** One run's section 11, for the per-Node-version table. */
export interface RecoveryRun {
  readonly node: string;
  readonly recovery: RecoveryResults | undefined;
}

/** Section 11's figures from every run that measured it, one row per Node version. */
function byNodeVersion(runs: readonly RecoveryRun[]): string {
  const measured = runs.filter((run) => run.recovery !== undefined);
  if (measured.length < 2) return '';
  const gap = (c: RecoveryResults['fresh']) => `${ms(c.worstLateRecoveringMs)} (eld ${ms(c.eldMaxMs)})`;
  const rows = measured.map(({ node, recovery }) => {
    const r = recovery as RecoveryResults;
    return `| ${node} | ${gap(r.fresh)} | ${gap(r.adopting)} | ${gap(r.starting)} | ${gap(r.contention)} | ${r.recoveryRatio.adopting}× / ${r.recoveryRatio.starting}× (before: ${ms(r.beforeSynchronousMs)}) | ${mark(r.met)} |`;
  });
  return `
**By Node version** (each run builds its own leftover of ${[...new Set(measured.map(({ recovery }) => `${recovery?.mib} MiB`))].join(' or ')}; the worst gap while recovering, and \`monitorEventLoopDelay\`'s max):

| Node | nothing to recover | adopting | starting on it | lock contention | recovery time, adopting / starting | ≤ 20 ms |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

export function recoverySection(r: RecoveryResults | undefined, runs: readonly RecoveryRun[] = []): string {
  if (r === undefined) return '';
  const line = (name: string, c: RecoveryResults['fresh']) =>
    `| ${name} | ${ms(c.createMs)} | ${ms(c.recoveredMs)} | ${ms(c.worstLateRecoveringMs)} | ${ms(c.worstLateMs)} | ${ms(c.eldMaxMs)} |`;
  return `
## 11. Recovery and adoption off the event loop

A fresh process (\`test/fixtures/loop-gap.mjs\`, the built package) tracks 1,000 events/s while
a 1 ms interval timer measures its worst lateness, from just before \`createAnalytics()\` until
recovery (and adoption, and the contended lock attempt) is done, then on for the rest of one
second (the first delivery attempts of the backlog: the S3 endpoint refuses connections, so the
backlog stays). The leftover spool holds ${r.mib} MiB (${r.events.toLocaleString('en-US')} events of about 1 KiB, built in
${r.buildSeconds} s). **Before** this change, opening it read every segment with \`readFileSync\` and
decoded it in one go, on the loop: ${ms(r.beforeSynchronousMs)} on these files, one synchronous block.

| case | \`createAnalytics()\` | recovered after | worst gap while recovering | worst gap over the second | \`monitorEventLoopDelay\` max |
|---|---|---|---|---|---|
${line('nothing to recover', r.fresh)}
${line(`adopting the ${r.mib} MiB leftover`, r.adopting)}
${line(`starting on it (ANALYTICS_SPOOL_DIR)`, r.starting)}
${line('lock contention (50 tries on timers)', r.contention)}

Recovery time against the synchronous one before: adopting ${r.recoveryRatio.adopting}×, starting
${r.recoveryRatio.starting}× (recovery checks frames and their CRCs but no longer decodes their text;
it shares the loop with the 1,000 events/s).
${byNodeVersion(runs)}
**How recovery is sliced.** \`Spool.open\` lists the directory and \`lstat\`s the last files, then
returns. Each segment is read with \`fs/promises\` (the thread pool) in 1 MiB chunks into one
buffer reused for every segment (no new memory per segment: a fresh 8 MiB buffer each time
churned 1 GiB of external memory and set off full GCs), and its frames are checked (length,
CRC-32) in slices: after every 32 frames the slicer looks at the clock, and once 2 ms
have passed it yields with \`setImmediate\` (spool/slices.ts). Decoding a segment for a read is
sliced the same way. Records tracked meanwhile are numbered provisionally above the most
records the leftover files could hold (their size / 16 bytes, the smallest frame), written and
fsynced by the normal group commit into \`pending-<n>.log\` segments, and renumbered to follow the
recovered records once recovery is done (the files renamed to \`seg-\` names) between two group
commits; destinations register, read and take flush marks only after that. A crash meanwhile
leaves pending segments that the next recovery places after the recovered ones.

The row with nothing to recover is this machine's noise floor for a 1 ms timer (a shared VM:
the process is sometimes descheduled for tens of ms); a case at or under it shows no stall of
its own. What remains of the gap "over the second" is delivery's, not recovery's: the AWS SDK's first
request on a client, and planning and gzipping the backlog's first batch (sinks/lake.ts).
`;
}
