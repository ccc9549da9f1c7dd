/** The redaction `track()` applies to text fields: the built-in redactor, then the user's, counted. */

import { DEFAULTS } from './config/defaults.js';
import type { ResolvedConfig } from './config/resolve.js';
import type { RedactPolicy } from './event.js';
import { type RedactionKind, redactText } from './redact.js';

/** The redaction `track()` applies: the built-in redactor, then the user's, counted into `counts`. */
export function redactPolicy(
  config: ResolvedConfig['redact'],
  counts: Partial<Record<RedactionKind | 'redactor_error' | 'truncated', number>>,
): RedactPolicy | undefined {
  if (config === undefined) return undefined;
  const { redactor } = config;
  const apply = (raw: string): string => {
    // Redaction is linear but not free: past this length a text is cut (and counted), so no
    // single event can hold the event loop (a 1 MB worst case would take ~200 ms).
    const text =
      raw.length > DEFAULTS.maxRedactChars ? `${raw.slice(0, DEFAULTS.maxRedactChars)} [TRUNCATED]` : raw;
    if (text !== raw) counts.truncated = (counts.truncated ?? 0) + 1;
    const redacted = redactText(text, counts);
    if (redactor === undefined) return redacted;
    try {
      const out = redactor(redacted);
      if (typeof out === 'string') return out;
    } catch {
      // Fall through: never store text a redactor could not handle.
    }
    counts.redactor_error = (counts.redactor_error ?? 0) + 1;
    return '[REDACTED]';
  };
  return {
    fields: new Set(config.fields.filter((f) => f !== 'custom')),
    custom: config.fields.includes('custom'),
    apply,
  };
}
