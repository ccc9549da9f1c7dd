/**
 * Any other OTLP trace that follows the OpenTelemetry GenAI conventions: a model call
 * (`gen_ai.operation.name` chat, text_completion, generate_content) becomes `llm_metrics`, a
 * tool execution (`execute_tool`) becomes `tool_call`; a failed model call (status ERROR) is also an
 * `error`. The trace id is the call id.
 */
import type { Span } from '../otlp/model.js';
import { errorEvent, failed } from './error.js';
import {
  bool,
  bytesOf,
  compact,
  durationMs,
  type Framework,
  model,
  num,
  type SpanMapping,
  secToMs,
  str,
} from './types.js';

const MODEL_CALLS = new Set(['chat', 'text_completion', 'generate_content']);

export const genai: Framework = {
  name: 'genai',
  identifiedBy: 'always',
  matches: (span) => typeof span.attributes.get('gen_ai.operation.name') === 'string',
  map(span: Span): SpanMapping | undefined {
    const a = span.attributes;
    const op = str(a.get('gen_ai.operation.name'));
    const agentId = str(a.get('gen_ai.agent.name')) ?? str(span.resource.get('service.name'));
    if (op !== undefined && MODEL_CALLS.has(op)) {
      const input = num(a.get('gen_ai.usage.input_tokens'));
      const output = num(a.get('gen_ai.usage.output_tokens'));
      const error = errorEvent(span, 'llm');
      return {
        events: [
          ...(error === undefined ? [] : [error]),
          {
            kind: 'llm_metrics',
            type: 'llm_metrics',
            timeMs: span.endMs,
            data: compact({
              durationMs: durationMs(span),
              ttftMs: secToMs(a.get('gen_ai.response.time_to_first_chunk')),
              promptTokens: input,
              promptCachedTokens: num(a.get('gen_ai.usage.cache_read.input_tokens')),
              completionTokens: output,
              totalTokens: input !== undefined && output !== undefined ? input + output : undefined,
              ...model(span),
            }),
          },
        ],
        call: { agentId },
      };
    }
    if (op === 'execute_tool')
      return {
        events: [
          {
            kind: 'tool_call',
            type: 'tool_call',
            timeMs: span.endMs,
            data: compact({
              toolName: str(a.get('gen_ai.tool.name')),
              toolCallId: str(a.get('gen_ai.tool.call.id')),
              // A failing tool is a tool_call with isError, never an `error` (as the Node adapter).
              isError: a.get('error.type') !== undefined || bool(a.get('error')) === true || failed(span),
              durationMs: durationMs(span),
              argsBytes: bytesOf(a.get('gen_ai.tool.call.arguments')),
              outputBytes: bytesOf(a.get('gen_ai.tool.call.result')),
            }),
          },
        ],
        call: { agentId },
      };
    return undefined;
  },
};
