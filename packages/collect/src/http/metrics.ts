/** `GET /metrics`: the collector's and the library's counters in the Prometheus text format. */
import type { Analytics } from 'voicelake';
import type { CollectorStats } from '../collector.js';

export interface HttpStats {
  requests: Record<string, number>;
}

export function prometheus(c: CollectorStats, http: HttpStats, analytics: Analytics): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) lines.push(`${name}${labels} ${value}`);
  };
  const label = (k: string, v: string) => `{${k}="${v.replace(/["\\\n]/g, '_')}"}`;
  metric(
    'voicelake_collect_requests_total',
    'counter',
    'HTTP requests by answer status.',
    Object.entries(http.requests).map(([s, n]) => [label('status', s), n]),
  );
  metric('voicelake_collect_spans_received_total', 'counter', 'Spans received.', [['', c.spansReceived]]);
  metric('voicelake_collect_spans_mapped_total', 'counter', 'Spans that became events.', [
    ['', c.spansMapped],
  ]);
  metric('voicelake_collect_spans_duplicate_total', 'counter', 'Spans received again (counted once).', [
    ['', c.spansDuplicate],
  ]);
  metric('voicelake_collect_spans_unrecognized_total', 'counter', 'Spans of no known framework, dropped.', [
    ['', c.spansUnrecognized],
  ]);
  metric('voicelake_collect_calls_open', 'gauge', 'Calls waiting for their root span.', [['', c.callsOpen]]);
  metric('voicelake_collect_calls_closed_total', 'counter', 'Calls closed (root span or timeout).', [
    ['', c.callsClosed],
  ]);
  metric('voicelake_collect_calls_timed_out_total', 'counter', 'Calls closed by the idle timeout.', [
    ['', c.callsTimedOut],
  ]);
  const s = analytics.stats();
  metric('voicelake_events_accepted_total', 'counter', 'Events accepted by track().', [['', s.accepted]]);
  metric(
    'voicelake_events_rejected_total',
    'counter',
    'Events refused, by reason.',
    Object.entries(s.rejected).map(([r, n]) => [label('reason', r), n ?? 0]),
  );
  const spool = s.spool;
  if (spool !== undefined && spool.mode === 'disk' && 'diskBytes' in spool) {
    metric('voicelake_spool_bytes', 'gauge', 'Bytes in the spool on disk.', [['', spool.diskBytes]]);
    metric('voicelake_spool_dropped_total', 'counter', 'Events dropped because the spool was full.', [
      ['', spool.dropped],
    ]);
  }
  const dests = Object.entries(s.destinations);
  metric(
    'voicelake_destination_delivered_total',
    'counter',
    'Events delivered, per destination.',
    dests.map(([d, st]) => [label('destination', d), st.delivered]),
  );
  metric(
    'voicelake_destination_pending',
    'gauge',
    'Events waiting for delivery, per destination.',
    dests.map(([d, st]) => [label('destination', d), st.pending]),
  );
  return `${lines.join('\n')}\n`;
}
