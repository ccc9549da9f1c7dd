/**
 * `voicelake/livekit`: instrument a LiveKit Agents `AgentSession` in one line.
 *
 * ```ts
 * import { instrumentSession } from 'voicelake/livekit';
 * const detach = instrumentSession(session, { analytics, ctx });
 * ```
 *
 * `@livekit/agents` is an optional peer dependency: this module only relies on the
 * session's EventEmitter shape, so it never imports the package itself.
 */
import { randomUUID } from 'node:crypto';
import type { Analytics } from '../analytics.js';
import { DEFAULTS } from '../config/defaults.js';
import { withTimeout } from '../timers.js';
import { CallRecorder } from './recorder.js';

export { mapMetrics, percentile } from './metrics.js';
export { CallRecorder, type CallRecorderOptions, type Tracker } from './recorder.js';
export { emptyTotals, summaryFields, type Totals } from './totals.js';

type Listener = (ev: never) => void;

/** The part of `voice.AgentSession` voicelake uses. */
export interface SessionLike {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  /** `AgentSession.usage` (model usage so far), read when the call ends. */
  readonly usage?: unknown;
}

/** The part of `JobContext` voicelake uses. */
export interface JobContextLike {
  readonly job?: {
    readonly id?: string;
    readonly agentName?: string;
    readonly room?: { readonly name?: string; readonly sid?: string } | undefined;
  };
  addShutdownCallback?(callback: () => Promise<void>): void;
}

export interface InstrumentOptions {
  readonly analytics: Analytics;
  /** The job context: call and agent ids come from it, and a bounded flush runs at shutdown. */
  readonly ctx?: JobContextLike;
  /** Call id. Default: the room sid, else the job id, else a random UUID. */
  readonly callId?: string;
  /** Agent id. Default: the job's agent name. */
  readonly agentId?: string;
  /**
   * Bound on the flush at job shutdown, ms. LiveKit puts no timeout on shutdown callbacks, so
   * a hanging destination must not hold the job open. Default 5000.
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Record what was said: user transcripts and agent text (PII-redacted by `track()`).
   * `false` records no text at all, only metrics. Default true.
   */
  readonly transcripts?: boolean;
}

/** Session events voicelake listens to. */
export const SESSION_EVENTS = [
  'user_input_transcribed',
  'conversation_item_added',
  'function_tools_executed',
  'metrics_collected',
  'session_usage_updated',
  'error',
  'close',
] as const;

/**
 * Record everything a session emits as schema v1 events, and a `call_ended` with the call
 * summary when it closes. Returns a function that detaches every listener.
 */
export function instrumentSession(session: SessionLike, options: InstrumentOptions): () => void {
  const { analytics, ctx } = options;
  const job = ctx?.job;
  const callId = options.callId ?? (job?.room?.sid || job?.id || randomUUID());
  const agentId = options.agentId ?? (job?.agentName || undefined);
  const recorder = new CallRecorder(analytics, { callId, agentId, transcripts: options.transcripts });
  recorder.callStarted(Date.now(), {
    ...(job?.id ? { jobId: job.id } : {}),
    ...(job?.room?.name ? { roomName: job.room.name } : {}),
  });

  let attached = true;
  const handlers: Record<(typeof SESSION_EVENTS)[number], (ev: Record<string, unknown>) => void> = {
    user_input_transcribed: (ev) => recorder.userInputTranscribed(ev),
    conversation_item_added: (ev) => recorder.conversationItemAdded(ev),
    function_tools_executed: (ev) => recorder.functionToolsExecuted(ev),
    metrics_collected: (ev) => recorder.metricsCollected(ev),
    session_usage_updated: (ev) => recorder.usageUpdated(ev),
    error: (ev) => recorder.error(ev),
    close: (ev) => {
      recorder.callEnded(ev, session.usage);
      detach();
    },
  };
  // Analytics must never break the agent: a mapping error is swallowed here, per event.
  const guarded = Object.fromEntries(
    Object.entries(handlers).map(([name, fn]) => [
      name,
      (ev: Record<string, unknown>) => {
        try {
          fn(ev ?? {});
        } catch (error) {
          analytics.logger.warn(
            { event: name, error: (error as Error)?.message },
            'voicelake: could not map a session event',
          );
        }
      },
    ]),
  ) as Record<string, Listener>;
  for (const name of SESSION_EVENTS) session.on(name, guarded[name] as Listener);

  function detach(): void {
    if (!attached) return;
    attached = false;
    for (const name of SESSION_EVENTS) session.off(name, guarded[name] as Listener);
  }

  ctx?.addShutdownCallback?.(async () => {
    if (attached) {
      recorder.callEnded({ reason: 'job_shutdown', createdAt: Date.now() }, session.usage);
      detach();
    }
    await withTimeout(analytics.flush(), options.shutdownTimeoutMs ?? DEFAULTS.closeTimeoutMs);
  });
  return detach;
}
