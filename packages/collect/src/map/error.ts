/**
 * A failed span (status ERROR) as the `error` event the Node adapter records for a model error
 * (voicelake/livekit recorder `error`): the failing component, the error's type, its message.
 * The message is an exception's text: the collector redacts it as it redacts transcripts.
 */
import { boundedText, type Span, STATUS_ERROR } from '../otlp/model.js';
import { compact, model, type SpanEvent, str } from './types.js';

export type ErrorSource = 'llm' | 'stt' | 'tts';

/** The span failed: its status is ERROR. */
export const failed = (span: Span): boolean => span.status.code === STATUS_ERROR;

/**
 * The `error` event of a failed span, or undefined when the span did not fail. `errorType` is
 * `<source>_error`, as LiveKit's own error events say (`llm_error`, `tts_error`): the Node
 * adapter's value, so `voicelake query errors` groups a Python call's errors with a Node one's.
 * `errorLabel` (a custom field) is the span's `error.type` (the exception's class, or an HTTP
 * status: LiveKit), else its exception's type; `message` its exception's message, else its status
 * description. `recoverable` only when the span says it (neither LiveKit's attempt spans nor
 * Pipecat's do).
 */
export function errorEvent(span: Span, source: ErrorSource, recoverable?: boolean): SpanEvent | undefined {
  if (!failed(span)) return undefined;
  const a = span.attributes;
  return {
    kind: 'error',
    type: 'error',
    timeMs: span.endMs,
    data: compact({
      errorSource: source,
      errorType: `${source}_error`,
      errorLabel: boundedText(
        str(a.get('error.type')) ?? span.exception?.type ?? str(a.get('exception.type')),
      ),
      recoverable,
      message: span.exception?.message ?? boundedText(str(a.get('exception.message'))) ?? span.status.message,
      ...model(span),
    }),
  };
}
