/** One call in progress (a trace whose root has not arrived), and its validated on-disk form. */
import type { TurnHint } from '../map/types.js';
import { emptyTotals, parseTotals, type Totals } from './totals.js';

/** An event held until its call is identified: already redacted, with its final id. */
export interface HeldEvent {
  readonly eventId: string;
  readonly type: string;
  readonly timeMs: number;
  readonly data: Record<string, unknown>;
}

export interface CallState {
  readonly traceId: string;
  readonly framework: string;
  callId: string | undefined;
  agentId: string | undefined;
  identified: boolean;
  /** Epoch ms: the earliest span start and the latest span end seen. */
  firstMs: number;
  lastMs: number;
  /** Wall-clock ms of the last span received: the idle timeout counts from it. */
  seenAt: number;
  /** Span ids already mapped: a re-sent span is not counted twice. */
  seen: string[];
  held: HeldEvent[];
  totals: Totals;
  hints: Record<string, TurnHint>;
  toolCallIds: string[];
  closeReason: string | undefined;
  /** Wall-clock ms when the call was closed (its summary written); kept a while to absorb re-sends. */
  closedAt: number | undefined;
}

export function newCall(traceId: string, framework: string, now: number): CallState {
  return {
    traceId,
    framework,
    callId: undefined,
    agentId: undefined,
    identified: false,
    firstMs: Number.POSITIVE_INFINITY,
    lastMs: 0,
    seenAt: now,
    seen: [],
    held: [],
    totals: emptyTotals(),
    hints: {},
    toolCallIds: [],
    closeReason: undefined,
    closedAt: undefined,
  };
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): v is string | undefined => v === undefined || (isStr(v) && v.length <= 512);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const HEX_ID = /^[0-9a-f]{16}$/;
/** A turn's text hint longer than this is not a state file this collector wrote. */
const MAX_HINT_TEXT = 1_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A call read back from disk, checked field by field; undefined when anything is off. */
export function parseCall(raw: unknown, traceId: string): CallState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const totals = parseTotals(o.totals);
  if (
    o.traceId !== traceId ||
    !isStr(o.framework) ||
    !optStr(o.callId) ||
    !optStr(o.agentId) ||
    typeof o.identified !== 'boolean' ||
    !(isNum(o.firstMs) || o.firstMs === null) ||
    !isNum(o.lastMs) ||
    !isNum(o.seenAt) ||
    !Array.isArray(o.seen) ||
    !o.seen.every((s) => isStr(s) && HEX_ID.test(s)) ||
    !Array.isArray(o.held) ||
    !o.held.every(isHeld) ||
    totals === undefined ||
    typeof o.hints !== 'object' ||
    o.hints === null ||
    !Array.isArray(o.toolCallIds) ||
    !o.toolCallIds.every(isStr) ||
    !optStr(o.closeReason) ||
    !(o.closedAt === undefined || isNum(o.closedAt))
  )
    return undefined;
  const hints: Record<string, TurnHint> = {};
  for (const [k, v] of Object.entries(o.hints as Record<string, unknown>)) {
    if (!HEX_ID.test(k) || typeof v !== 'object' || v === null) return undefined;
    const h = v as Record<string, unknown>;
    hints[k] = {
      ...(isNum(h.llmNodeTtftMs) ? { llmNodeTtftMs: h.llmNodeTtftMs } : {}),
      ...(isNum(h.ttsNodeTtfbMs) ? { ttsNodeTtfbMs: h.ttsNodeTtfbMs } : {}),
      ...(isNum(h.onUserTurnCompletedDelayMs)
        ? { onUserTurnCompletedDelayMs: h.onUserTurnCompletedDelayMs }
        : {}),
      ...(isStr(h.text) && h.text.length <= MAX_HINT_TEXT ? { text: h.text } : {}),
    };
  }
  return {
    traceId,
    framework: o.framework,
    callId: o.callId,
    agentId: o.agentId,
    identified: o.identified,
    firstMs: isNum(o.firstMs) ? o.firstMs : Number.POSITIVE_INFINITY,
    lastMs: o.lastMs,
    seenAt: o.seenAt,
    seen: o.seen as string[],
    held: o.held as HeldEvent[],
    totals,
    hints,
    toolCallIds: o.toolCallIds as string[],
    closeReason: o.closeReason,
    closedAt: o.closedAt as number | undefined,
  };
}

function isHeld(v: unknown): v is HeldEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    isStr(e.eventId) &&
    UUID.test(e.eventId) &&
    isStr(e.type) &&
    e.type.length <= 128 &&
    isNum(e.timeMs) &&
    typeof e.data === 'object' &&
    e.data !== null &&
    !Array.isArray(e.data)
  );
}
