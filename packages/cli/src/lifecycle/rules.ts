/**
 * The lake's S3 lifecycle rules, as pure functions: which rules voicelake wants for a lake
 * prefix, how they merge into a bucket's existing configuration (by rule ID, never touching
 * another rule), a canonical form to tell "unchanged" from "changed", and a unified diff of the
 * old and new configuration for `--dry-run`. `commands/lifecycle.ts` does the S3 calls.
 *
 * Scoping. A lifecycle filter matches a key prefix character by character, not path segment by
 * segment, so `<prefix>year=` matches every raw gzip object of the lake (they all start
 * `<prefix>year=YYYY/…`) and nothing under `<prefix>compacted/`. Each rule names exactly one of
 * the lake's two parts: no tags (they would cost a PutObjectTagging per object and write access to
 * the raw objects), no size filter.
 */
import { createHash } from 'node:crypto';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { COMPACTED_DIR } from '../lake/compacted-layout.js';

export type { LifecycleRule };

/** Where compaction writes its Parquet files, inside the lake prefix. */
export const COMPACTED = COMPACTED_DIR;
/** The start of every raw (gzip NDJSON) key inside the lake prefix. */
export const RAW = 'year=';

/** Defaults of `voicelake lifecycle apply`. */
export const LIFECYCLE_DEFAULTS = {
  /** The per-event design's plan, kept: archive partitions to Glacier after 90 days. */
  glacierAfterDays: 90,
  /** Parts of an upload never completed are billed until aborted; a week covers any real upload. */
  abortMultipartAfterDays: 7,
  /** Glacier Flexible Retrieval bills an object at least this many days. */
  glacierMinimumDays: 90,
} as const;

/** The kinds of rule voicelake manages, in the order they are written. */
export const RULE_KINDS = [
  'glacier',
  'glacier-compacted',
  'expire-raw',
  'expire-compacted',
  'abort-multipart',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

const RULE_ID =
  /^voicelake-(glacier|glacier-compacted|expire-raw|expire-compacted|abort-multipart)-([0-9a-f]{8})$/;

export interface LifecyclePlan {
  /** The lake prefix: empty, or ending with `/`. */
  readonly prefix: string;
  /** Transition to Glacier Flexible Retrieval after this many days; undefined: no transition. */
  readonly glacierAfterDays?: number | undefined;
  /** Expire the raw gzip objects this many days after they were written. */
  readonly expireRawAfterDays?: number | undefined;
  /** Expire every object of the lake (raw and compacted) this many days after it was written. */
  readonly expireAfterDays?: number | undefined;
  /** Abort multipart uploads not completed after this many days. */
  readonly abortMultipartAfterDays?: number | undefined;
}

/** 8 hex digits of SHA-256 of the prefix: one set of rule IDs per lake, several lakes per bucket. */
export function prefixHash(prefix: string): string {
  return createHash('sha256').update(prefix).digest('hex').slice(0, 8);
}

/** The rule ID of one kind of voicelake rule for a lake prefix. */
export function ruleId(kind: RuleKind, prefix: string): string {
  return `voicelake-${kind}-${prefixHash(prefix)}`;
}

/** Whose rule this is: voicelake's for this prefix, voicelake's for another prefix, or someone else's. */
export function ruleOwner(rule: LifecycleRule, prefix: string): 'this-lake' | 'other-lake' | 'other' {
  const m = RULE_ID.exec(rule.ID ?? '');
  if (!m) return 'other';
  return m[2] === prefixHash(prefix) ? 'this-lake' : 'other-lake';
}

/** What each kind of rule is for, as `show` and the docs say it. */
export const RULE_PURPOSE: Record<RuleKind, string> = {
  glacier: 'raw gzip objects to Glacier Flexible Retrieval',
  'glacier-compacted': 'compacted Parquet files to Glacier Flexible Retrieval',
  'expire-raw': 'delete raw gzip objects (their days are compacted by then)',
  'expire-compacted': 'delete compacted Parquet files (with expire-raw: the whole lake)',
  'abort-multipart': 'abort multipart uploads left incomplete',
};

const rule = (
  kind: RuleKind,
  prefix: string,
  filterPrefix: string,
  action: Omit<LifecycleRule, 'ID' | 'Status' | 'Filter'>,
): LifecycleRule => ({
  ID: ruleId(kind, prefix),
  Status: 'Enabled',
  Filter: { Prefix: filterPrefix },
  ...action,
});

/**
 * The rules voicelake wants for `plan`. A rule that could never act is left out: no Glacier
 * transition for objects that expire first. Raw objects expire at the earlier of the two
 * expirations (one rule: S3 would apply the earlier anyway, and one rule says so).
 */
export function desiredRules(plan: LifecyclePlan): LifecycleRule[] {
  const p = plan.prefix;
  const raw = `${p}${RAW}`;
  const compacted = `${p}${COMPACTED}`;
  const rawExpiry = minDefined(plan.expireRawAfterDays, plan.expireAfterDays);
  const compactedExpiry = plan.expireAfterDays;
  const g = plan.glacierAfterDays;
  const glacier = (days: number) => ({ Transitions: [{ Days: days, StorageClass: 'GLACIER' as const }] });
  const out: LifecycleRule[] = [];
  if (g !== undefined && (rawExpiry === undefined || rawExpiry > g))
    out.push(rule('glacier', p, raw, glacier(g)));
  if (g !== undefined && (compactedExpiry === undefined || compactedExpiry > g))
    out.push(rule('glacier-compacted', p, compacted, glacier(g)));
  if (rawExpiry !== undefined) out.push(rule('expire-raw', p, raw, { Expiration: { Days: rawExpiry } }));
  if (compactedExpiry !== undefined)
    out.push(rule('expire-compacted', p, compacted, { Expiration: { Days: compactedExpiry } }));
  out.push(
    rule('abort-multipart', p, p, {
      AbortIncompleteMultipartUpload: {
        DaysAfterInitiation: plan.abortMultipartAfterDays ?? LIFECYCLE_DEFAULTS.abortMultipartAfterDays,
      },
    }),
  );
  return out;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Things the user should know about `plan` before applying it (one line each). */
export function planNotes(plan: LifecyclePlan, transitionMinimumObjectSize?: string): string[] {
  const notes: string[] = [];
  const g = plan.glacierAfterDays;
  const rawExpiry = minDefined(plan.expireRawAfterDays, plan.expireAfterDays);
  if (g !== undefined && rawExpiry !== undefined && rawExpiry <= g)
    notes.push(
      `raw objects expire after ${rawExpiry} days, before the ${g}-day Glacier transition: no Glacier rule for them`,
    );
  if (g !== undefined && plan.expireAfterDays !== undefined && plan.expireAfterDays <= g)
    notes.push(
      `compacted files expire after ${plan.expireAfterDays} days, before the ${g}-day Glacier transition: no Glacier rule for them`,
    );
  const minDays = LIFECYCLE_DEFAULTS.glacierMinimumDays;
  if (g !== undefined && plan.expireAfterDays !== undefined && plan.expireAfterDays > g) {
    if (plan.expireAfterDays < g + minDays)
      notes.push(
        `objects spend ${plan.expireAfterDays - g} days in Glacier before they expire: Glacier bills at least ${minDays}, so the early deletion costs the remaining ${g + minDays - plan.expireAfterDays} days`,
      );
  }
  if (g !== undefined) {
    notes.push(
      'objects in Glacier Flexible Retrieval are not readable until restored: Athena skips them and `voicelake query --bucket` cannot fetch them',
    );
    if (transitionMinimumObjectSize === 'varies_by_storage_class')
      notes.push(
        'this bucket transitions objects of any size (TransitionDefaultMinimumObjectSize varies_by_storage_class): Glacier adds 40 KiB of billed overhead per object and $0.05 per 1,000 transitions, more than a small raw object saves',
      );
    else
      notes.push(
        'S3 does not transition objects under 128 KiB (the bucket default), so small raw objects stay in Standard: compaction is what makes old days cheap to archive',
      );
  }
  return notes;
}

export type RuleChange = 'added' | 'updated' | 'removed' | 'unchanged';

export interface MergeResult {
  /** The whole configuration to put. */
  readonly rules: LifecycleRule[];
  /** Each voicelake rule of this prefix, desired or removed, and what happens to it. */
  readonly changes: { readonly id: string; readonly change: RuleChange }[];
  /** Rules that are not this lake's voicelake rules, kept exactly as they were. */
  readonly kept: number;
  /** True when the configuration to put equals the existing one. */
  readonly unchanged: boolean;
}

/**
 * The configuration with this lake's rules set to `desired`: every other rule stays as it was
 * and where it was; a voicelake rule of this prefix takes its place when it existed, is added
 * at the end when new, and is removed when no longer desired (`apply` states the whole policy
 * of the lake, so running it again with other options changes it).
 */
export function mergeRules(
  existing: readonly LifecycleRule[],
  desired: readonly LifecycleRule[],
  prefix: string,
): MergeResult {
  const wanted = new Map(desired.map((r) => [r.ID as string, r]));
  const placed = new Set<string>();
  const changes: { id: string; change: RuleChange }[] = [];
  const rules: LifecycleRule[] = [];
  let kept = 0;
  for (const r of existing) {
    if (ruleOwner(r, prefix) !== 'this-lake') {
      rules.push(r);
      kept++;
      continue;
    }
    const id = r.ID as string;
    const next = wanted.get(id);
    if (next === undefined || placed.has(id)) {
      changes.push({ id, change: 'removed' });
      continue;
    }
    placed.add(id);
    rules.push(next);
    changes.push({ id, change: sameRule(r, next) ? 'unchanged' : 'updated' });
  }
  for (const r of desired) {
    const id = r.ID as string;
    if (placed.has(id)) continue;
    rules.push(r);
    changes.push({ id, change: 'added' });
  }
  const unchanged =
    rules.length === existing.length && rules.every((r, i) => sameRule(r, existing[i] as LifecycleRule));
  return { rules, changes, kept, unchanged };
}

/**
 * A rule as plain data with a fixed key order (`ID`, `Status`, `Filter` first, then the rest
 * alphabetically) and no empty values: what S3 returns and what was put compare equal.
 */
export function canonicalRule(rule: LifecycleRule): Record<string, unknown> {
  const first = ['ID', 'Status', 'Filter', 'Prefix'];
  return canonical(rule, first) as Record<string, unknown>;
}

function canonical(value: unknown, first: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && v !== null,
  );
  const rank = (k: string) => {
    const i = first.indexOf(k);
    return i < 0 ? first.length : i;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

export function sameRule(a: LifecycleRule, b: LifecycleRule): boolean {
  return JSON.stringify(canonicalRule(a)) === JSON.stringify(canonicalRule(b));
}

/** A configuration as the JSON `--dry-run` diffs and `show --format json` prints. */
export function configurationJson(rules: readonly LifecycleRule[]): string {
  return `${JSON.stringify({ Rules: rules.map(canonicalRule) }, null, 2)}\n`;
}

/**
 * The raw days `expireRawAfterDays` would delete that have no compacted copy: days at least
 * that old (by partition) among `rawDays` and not in `compactedDays`. Sorted.
 */
export function uncompactedExpiringDays(
  rawDays: readonly string[],
  compactedDays: ReadonlySet<string>,
  expireRawAfterDays: number,
  now: number = Date.now(),
): string[] {
  const cutoff = new Date(now - expireRawAfterDays * 86_400_000).toISOString().slice(0, 10);
  return rawDays.filter((d) => d <= cutoff && !compactedDays.has(d)).sort();
}
