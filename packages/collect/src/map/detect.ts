/** Which framework a span comes from, recognised from the span itself (scope, then GenAI attributes). */
import type { Span } from '../otlp/model.js';
import { genai } from './genai.js';
import { livekit } from './livekit.js';
import { pipecat } from './pipecat.js';
import type { Framework } from './types.js';

/** In order: the framework-specific ones before the generic GenAI mapping. */
const FRAMEWORKS: readonly Framework[] = [livekit, pipecat, genai];

export function frameworkOf(span: Span): Framework | undefined {
  return FRAMEWORKS.find((f) => f.matches(span));
}

export function frameworkNamed(name: string): Framework | undefined {
  return FRAMEWORKS.find((f) => f.name === name);
}
