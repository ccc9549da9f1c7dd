/**
 * An independent check of CloudWatch embedded metric format documents against the AWS
 * specification ("Specification: Embedded metric format"), written from the spec and not from
 * voicelake's builder: the root is a JSON object with `_aws`; `_aws.Timestamp` is an integer of
 * epoch milliseconds; `_aws.CloudWatchMetrics` is an array of MetricDirectives, each with a
 * `Namespace` string, `Dimensions` (an array of DimensionSets: arrays of at most 30 strings, each
 * a root member holding a string) and `Metrics` (at most 100 MetricDefinitions: `Name` a root
 * member holding a number or an array of at most 100 numbers, `Unit` from CloudWatch's units).
 * Also the PutLogEvents bodies an inspecting proxy recorded, to find every EMF document sent.
 */
import type { Recorded } from './proxy.js';

/** CloudWatch's metric units, as the spec's JSON schema lists them. */
export const SPEC_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export interface ValidateOptions {
  /** The time the document is checked at, epoch ms. Default now. */
  readonly now?: number;
  /** Oldest accepted timestamp before `now`. Default 14 days (CloudWatch refuses older events). */
  readonly maxAgeMs?: number;
  /** Furthest accepted timestamp after `now`. Default 2 hours. */
  readonly maxAheadMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Every way `message` breaks the spec; empty when it is a valid EMF document. */
export function emfProblems(message: string, options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  let root: unknown;
  try {
    root = JSON.parse(message);
  } catch {
    return ['the message is not JSON (or has data before or after the object)'];
  }
  if (!isObject(root)) return ['the root is not a JSON object'];
  const aws = root._aws;
  if (!isObject(aws)) return ['_aws is missing or not an object'];
  const now = options.now ?? Date.now();
  const ts = aws.Timestamp;
  if (!Number.isInteger(ts)) problems.push('_aws.Timestamp is missing or not an integer');
  else if ((ts as number) < 1e12) problems.push(`_aws.Timestamp ${ts} looks like seconds, not milliseconds`);
  else if ((ts as number) < now - (options.maxAgeMs ?? 14 * 86_400_000))
    problems.push(`_aws.Timestamp ${ts} is too far in the past`);
  else if ((ts as number) > now + (options.maxAheadMs ?? 2 * 3_600_000))
    problems.push(`_aws.Timestamp ${ts} is too far in the future`);
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [...problems, '_aws.CloudWatchMetrics is missing or not an array'];
  directives.forEach((d: unknown, i) => {
    const at = `_aws.CloudWatchMetrics[${i}]`;
    if (!isObject(d)) {
      problems.push(`${at} is not an object`);
      return;
    }
    if (typeof d.Namespace !== 'string' || d.Namespace.length < 1 || d.Namespace.length > 255)
      problems.push(`${at}.Namespace is missing or not a 1-255 character string`);
    if (!Array.isArray(d.Dimensions) || d.Dimensions.length < 1) {
      problems.push(`${at}.Dimensions is missing or not a non-empty array of DimensionSets`);
    } else {
      d.Dimensions.forEach((set: unknown, j) => {
        if (!Array.isArray(set)) {
          problems.push(`${at}.Dimensions[${j}] is not an array`);
          return;
        }
        if (set.length > 30) problems.push(`${at}.Dimensions[${j}] has ${set.length} keys, over 30`);
        for (const key of set) {
          if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
            problems.push(`${at}.Dimensions[${j}] holds a key that is not a 1-255 character string`);
            continue;
          }
          const value = root[key];
          if (typeof value !== 'string') problems.push(`dimension ${key} is not a string member of the root`);
          else if (value.length < 1 || value.length > 1024 || !/^[\x20-\x7e]+$/.test(value))
            problems.push(`dimension ${key} is not 1-1024 printable ASCII characters`);
        }
      });
    }
    if (!Array.isArray(d.Metrics)) {
      problems.push(`${at}.Metrics is missing or not an array`);
      return;
    }
    if (d.Metrics.length > 100) problems.push(`${at}.Metrics has ${d.Metrics.length} definitions, over 100`);
    d.Metrics.forEach((m: unknown, k) => {
      if (!isObject(m) || typeof m.Name !== 'string' || m.Name.length < 1 || m.Name.length > 255) {
        problems.push(`${at}.Metrics[${k}] has no 1-255 character Name`);
        return;
      }
      if (m.Unit !== undefined && (typeof m.Unit !== 'string' || !SPEC_UNITS.has(m.Unit)))
        problems.push(`metric ${m.Name} has unit ${String(m.Unit)}, not a CloudWatch unit`);
      const value = root[m.Name];
      const ok =
        isNumber(value) || (Array.isArray(value) && value.length <= 100 && value.every((v) => isNumber(v)));
      if (!ok) problems.push(`metric ${m.Name} is not a number (or ≤ 100 numbers) on the root`);
    });
  });
  return problems;
}

/** True when a log message is meant as an EMF document (has `_aws`). */
export function isEmf(message: string): boolean {
  try {
    const root = JSON.parse(message) as unknown;
    return isObject(root) && '_aws' in root;
  } catch {
    return false;
  }
}

/** The log events of every PutLogEvents request the proxy recorded (JSON 1.1 bodies). */
export function sentLogEvents(requests: readonly Recorded[]): { timestamp: number; message: string }[] {
  const out: { timestamp: number; message: string }[] = [];
  for (const r of requests) {
    if (!r.target?.endsWith('.PutLogEvents')) continue;
    const body = JSON.parse(r.body.toString('utf8')) as {
      logEvents: { timestamp: number; message: string }[];
    };
    out.push(...body.logEvents);
  }
  return out;
}
