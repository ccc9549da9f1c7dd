/**
 * The progress line `voicelake collect` keeps on a terminal (stderr is a TTY, or `--progress`):
 * spans in, events out, calls, what waits for delivery, refused requests; rewritten in place
 * every second, and left as a last line on stop.
 */
import type { Analytics } from 'voicelake';
import type { CollectorStats } from './collector.js';
import type { HttpStats } from './http/metrics.js';

const n = (v: number) => v.toLocaleString('en-US');

/** One line of what the collector has done so far. */
export function progressLine(c: CollectorStats, http: HttpStats, analytics: Analytics): string {
  const s = analytics.stats();
  const pending = Object.entries(s.destinations)
    .map(([name, d]) => `${name} ${n(d.pending)}`)
    .join(', ');
  const refused = Object.entries(http.requests)
    .filter(([status]) => status !== '200')
    .reduce((sum, [, count]) => sum + count, 0);
  const rejected = Object.values(s.rejected).reduce((sum, v) => sum + (v ?? 0), 0);
  return (
    `voicelake collect: ${n(c.spansReceived)} spans (${n(c.spansUnrecognized)} unrecognized)` +
    ` → ${n(s.accepted)} events (${n(rejected)} refused); calls ${n(c.callsOpen)} open,` +
    ` ${n(c.callsClosed)} closed (${n(c.callsTimedOut)} timed out); pending ${pending || 'none'};` +
    ` ${n(refused)} requests answered non-200`
  );
}

/** Rewrite the line on `out` every `everyMs`; the returned stop writes it a last time, with a newline. */
export function showProgress(
  line: () => string,
  out: { write(text: string): unknown },
  everyMs = 1000,
): () => void {
  const draw = () => out.write(`\r${line()}\x1b[K`);
  const timer = setInterval(draw, everyMs);
  timer.unref();
  draw();
  return () => {
    clearInterval(timer);
    out.write(`\r${line()}\x1b[K\n`);
  };
}
