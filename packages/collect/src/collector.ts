/**
 * The collector's core: spans in, events out through one `Analytics` (its spool, sinks and
 * redaction), each call's state kept until its root span (or the idle timeout) closes it.
 * `ingest` resolves only once the events are fsynced to the spool and the call state to disk.
 */
import type { Analytics, TrackInput } from 'voicelake';
import type { CallState, HeldEvent } from './calls/call.js';
import { newCall } from './calls/call.js';
import type { CallStore } from './calls/store.js';
import { addEvent, summary } from './calls/totals.js';
import { frameworkNamed, frameworkOf } from './map/detect.js';
import { eventIdOf } from './map/ids.js';
import type { SpanMapping } from './map/types.js';
import type { Span } from './otlp/model.js';

export interface CollectorOptions {
  readonly analytics: Analytics;
  readonly store: CallStore;
  /** A call with no new span for this long is closed with `close_reason: "timeout"`. */
  readonly idleTimeoutMs: number;
  /** How long a closed call's span ids are kept, so a re-sent span is still counted once. */
  readonly closedKeepMs: number;
  readonly now?: () => number;
}

export interface CollectorStats {
  spansReceived: number;
  spansMapped: number;
  spansDuplicate: number;
  spansUnrecognized: number;
  eventsTracked: number;
  eventsRejected: Record<string, number>;
  callsOpen: number;
  callsClosed: number;
  callsTimedOut: number;
}

/**
 * Text columns `track()` redacts: held events are redacted the same way before they are kept on
 * disk. An error's `message` is not among them: it is redacted once, when the event is made (see
 * `#apply`), whether it is held or tracked at once.
 */
const TEXT_COLUMNS = ['transcript', 'text'] as const;

export class Collector {
  readonly #o: CollectorOptions;
  readonly #calls = new Map<string, CallState>();
  #saving: Promise<void> = Promise.resolve();
  /** Calls to write with the next save, and that save (undefined until a request asks for one). */
  readonly #dirty = new Set<CallState>();
  #nextSave: Promise<void> | undefined;
  readonly stats: CollectorStats = {
    spansReceived: 0,
    spansMapped: 0,
    spansDuplicate: 0,
    spansUnrecognized: 0,
    eventsTracked: 0,
    eventsRejected: {},
    callsOpen: 0,
    callsClosed: 0,
    callsTimedOut: 0,
  };

  constructor(options: CollectorOptions) {
    this.#o = options;
    for (const call of options.store.load()) {
      this.#calls.set(call.traceId, call);
      // Counted once here; then as calls open (`#span`) and close (`#close`).
      if (call.closedAt === undefined) this.stats.callsOpen++;
    }
  }

  get #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /**
   * Map and track the spans, then wait until their events are durable. Resolves to the spans
   * whose events were refused (`partial_success`); rejects when the spool or the state could not
   * be made durable (the exporter retries).
   */
  async ingest(spans: readonly Span[]): Promise<{ rejected: number; message: string }> {
    const touched = new Set<CallState>();
    let rejected = 0;
    const problems = new Set<string>();
    for (const span of spans) {
      this.stats.spansReceived++;
      const refused = this.#span(span, touched);
      if (refused !== undefined) {
        rejected++;
        problems.add(refused);
      }
    }
    await this.#durable(touched);
    return { rejected, message: [...problems].join('; ') };
  }

  /** Close calls idle for longer than the timeout, and forget closed ones past their keep time. */
  async sweep(): Promise<void> {
    const now = this.#now;
    const touched = new Set<CallState>();
    for (const call of this.#calls.values()) {
      if (call.closedAt !== undefined) {
        if (now - call.closedAt > this.#o.closedKeepMs) {
          this.#calls.delete(call.traceId);
          this.#o.store.remove(call.traceId);
        }
        continue;
      }
      if (now - call.seenAt >= this.#o.idleTimeoutMs) {
        call.closeReason = 'timeout';
        this.#close(call);
        this.stats.callsTimedOut++;
        touched.add(call);
      }
    }
    await this.#durable(touched);
  }

  /**
   * The events tracked so far fsynced to the spool, then the touched calls' state appended to the
   * call log. The lines are serialized before the spool commits but appended only once the events
   * they mark as seen are durable: a crash never leaves a span seen whose events were lost.
   */
  async #durable(touched: Set<CallState>): Promise<void> {
    if (touched.size === 0) return this.#committed();
    await this.#save(touched);
  }

  async #committed(): Promise<void> {
    const outcome = await this.#o.analytics.commit();
    if (outcome !== 'persisted' && outcome !== 'buffered') throw new Error(`the spool answered ${outcome}`);
  }

  /**
   * Save these calls' state with the next save (a group commit, like the spool's): the requests
   * that arrive while a save is running share one, which writes every call they touched once, in
   * its latest state, with one durable append. Saves are chained: the log's lines keep the order
   * of the states they hold.
   */
  #save(touched: Set<CallState>): Promise<void> {
    for (const call of touched) this.#dirty.add(call);
    if (this.#nextSave === undefined) {
      const next = this.#saving.then(() => {
        this.#nextSave = undefined;
        const calls = [...this.#dirty];
        this.#dirty.clear();
        // Its commit covers every event tracked before: those of all the requests it serves.
        return this.#o.store.save(calls, () => this.#committed());
      });
      this.#nextSave = next;
      this.#saving = next.catch(() => undefined);
    }
    return this.#nextSave;
  }

  /** One span; returns why its events were refused, if they were. */
  #span(span: Span, touched: Set<CallState>): string | undefined {
    const framework = frameworkOf(span);
    if (framework === undefined) {
      this.stats.spansUnrecognized++;
      return undefined;
    }
    let call = this.#calls.get(span.traceId);
    if (call === undefined) {
      call = newCall(span.traceId, framework.name, this.#now);
      this.#calls.set(span.traceId, call);
      this.stats.callsOpen++;
    }
    if (call.seen.includes(span.spanId)) {
      this.stats.spansDuplicate++;
      return undefined;
    }
    const fw = frameworkNamed(call.framework) ?? framework;
    const mapping = fw.map(span, { hint: call.hints[span.spanId], toolCallIds: new Set(call.toolCallIds) });
    call.seen.push(span.spanId);
    call.seenAt = this.#now;
    touched.add(call);
    if (mapping === undefined) return undefined;
    this.stats.spansMapped++;
    return this.#apply(call, span, mapping, fw.identifiedBy);
  }

  #apply(
    call: CallState,
    span: Span,
    mapping: SpanMapping,
    identifiedBy: 'root' | 'call-id' | 'always',
  ): string | undefined {
    const open = call.closedAt === undefined;
    const facts = mapping.call ?? {};
    if (facts.root) {
      call.firstMs = span.startMs;
      call.lastMs = span.endMs;
      if (facts.callId !== undefined) call.callId = facts.callId;
      if (facts.agentId !== undefined) call.agentId = facts.agentId;
    } else {
      call.firstMs = Math.min(call.firstMs, span.startMs);
      call.lastMs = Math.max(call.lastMs, span.endMs);
      call.callId ??= facts.callId;
      call.agentId ??= facts.agentId;
    }
    if (facts.closeReason !== undefined) call.closeReason = facts.closeReason;
    if (mapping.parentHint !== undefined && span.parentSpanId !== undefined) {
      const hint = call.hints[span.parentSpanId] ?? {};
      call.hints[span.parentSpanId] = hint;
      // The first LLM/TTS of a turn gives its TTFT/TTFB, as LiveKit's turn metrics do.
      if (mapping.parentHint.llmNodeTtftMs !== undefined && hint.llmNodeTtftMs === undefined)
        hint.llmNodeTtftMs = mapping.parentHint.llmNodeTtftMs;
      if (mapping.parentHint.ttsNodeTtfbMs !== undefined && hint.ttsNodeTtfbMs === undefined)
        hint.ttsNodeTtfbMs = mapping.parentHint.ttsNodeTtfbMs;
      if (mapping.parentHint.onUserTurnCompletedDelayMs !== undefined)
        hint.onUserTurnCompletedDelayMs ??= mapping.parentHint.onUserTurnCompletedDelayMs;
      // Text is kept (in the call's state on disk too) only redacted, as held events are.
      const text = mapping.parentHint.text;
      if (text !== undefined) {
        const redacted = this.#o.analytics.redact(text);
        hint.text = hint.text === undefined ? redacted : `${hint.text} ${redacted}`;
      }
    }
    delete call.hints[span.spanId];
    let refused: string | undefined;
    for (const e of mapping.events) {
      if (e.type === 'tool_call' && typeof e.data.toolCallId === 'string') {
        if (call.toolCallIds.includes(e.data.toolCallId)) continue;
        call.toolCallIds.push(e.data.toolCallId);
      }
      const held: HeldEvent = {
        eventId: eventIdOf(span.traceId, span.spanId, e.kind, e.timeMs),
        type: e.type,
        timeMs: e.timeMs,
        // An error's message is an exception's text, which may quote what was said: redacted as
        // transcripts are, whatever `redactFields` says of `message` (Node errors are its own).
        data:
          e.type === 'error' && typeof e.data.message === 'string'
            ? { ...e.data, message: this.#o.analytics.redact(e.data.message) }
            : e.data,
      };
      if (open) addEvent(call.totals, e.type, e.data);
      if (call.identified || !open) refused = this.#track(call, held) ?? refused;
      else call.held.push(this.#redacted(held));
    }
    if (!call.identified && open) {
      if (identifiedBy === 'always') call.callId ??= call.traceId;
      if (identifiedBy === 'always' || (identifiedBy === 'call-id' && call.callId !== undefined)) {
        call.identified = true;
        refused = this.#release(call) ?? refused;
      }
    }
    if (facts.root && open) this.#close(call, facts.started);
    return refused;
  }

  /** Close a call: its held events, then `call_started` and `call_ended` with the summary. */
  #close(call: CallState, started: Record<string, unknown> = {}): void {
    call.callId ??= call.traceId;
    call.identified = true;
    this.#release(call);
    const start = Number.isFinite(call.firstMs) ? call.firstMs : call.lastMs;
    const end = Math.max(call.lastMs, start);
    this.#track(call, {
      eventId: eventIdOf(call.traceId, '', 'call_started', 0),
      type: 'call_started',
      timeMs: start,
      data: this.#redactedValues(started),
    });
    const data: Record<string, unknown> = { ...summary(call.totals, end - start) };
    if (call.closeReason !== undefined) data.closeReason = call.closeReason;
    data.source = `otlp:${call.framework}`;
    this.#track(call, {
      eventId: eventIdOf(call.traceId, '', 'call_ended', 0),
      type: 'call_ended',
      timeMs: end,
      data,
    });
    call.closedAt = this.#now;
    call.hints = {};
    this.stats.callsClosed++;
    this.stats.callsOpen--;
  }

  #release(call: CallState): string | undefined {
    let refused: string | undefined;
    for (const e of call.held) refused = this.#track(call, e) ?? refused;
    call.held = [];
    return refused;
  }

  #track(call: CallState, e: HeldEvent): string | undefined {
    const input: TrackInput = {
      eventId: e.eventId,
      type: e.type,
      callId: call.callId ?? call.traceId,
      agentId: call.agentId,
      time: e.timeMs,
      data: e.data,
    };
    const result = this.#o.analytics.track(input);
    if (result.accepted) {
      this.stats.eventsTracked++;
      return undefined;
    }
    this.stats.eventsRejected[result.reason] = (this.stats.eventsRejected[result.reason] ?? 0) + 1;
    return `an event was refused (${result.reason}): ${result.message}`;
  }

  #redacted(e: HeldEvent): HeldEvent {
    const data = { ...e.data };
    for (const k of TEXT_COLUMNS)
      if (typeof data[k] === 'string') data[k] = this.#o.analytics.redact(data[k]);
    return { ...e, data };
  }

  /** Every string value redacted (`lk.pii.*` values such as the room name). */
  #redactedValues(data: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? this.#o.analytics.redact(v) : v]),
    );
  }
}
