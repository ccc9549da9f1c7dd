/** A lifecycle rule in words, as `voicelake lifecycle show` and `apply` print it. */
import type { LifecycleRule } from '@aws-sdk/client-s3';

/** A rule's filter in words: `prefix team/year=`. */
export function describeFilter(rule: LifecycleRule): string {
  const f = rule.Filter;
  const parts: string[] = [];
  const prefix = f?.Prefix ?? f?.And?.Prefix ?? rule.Prefix;
  if (prefix !== undefined) parts.push(prefix === '' ? 'whole bucket' : `prefix ${prefix}`);
  const tags = [...(f?.Tag ? [f.Tag] : []), ...(f?.And?.Tags ?? [])];
  for (const t of tags) parts.push(`tag ${t.Key}=${t.Value}`);
  const gt = f?.ObjectSizeGreaterThan ?? f?.And?.ObjectSizeGreaterThan;
  const lt = f?.ObjectSizeLessThan ?? f?.And?.ObjectSizeLessThan;
  if (gt !== undefined) parts.push(`size > ${gt} B`);
  if (lt !== undefined) parts.push(`size < ${lt} B`);
  return parts.length > 0 ? parts.join(', ') : 'whole bucket';
}

/** A rule's actions in words: `GLACIER after 90 d; expire after 400 d`. */
export function describeActions(rule: LifecycleRule): string {
  const out: string[] = [];
  for (const t of rule.Transitions ?? [])
    out.push(`${t.StorageClass} ${t.Days !== undefined ? `after ${t.Days} d` : `on ${dateOf(t.Date)}`}`);
  const e = rule.Expiration;
  if (e?.Days !== undefined) out.push(`expire after ${e.Days} d`);
  if (e?.Date !== undefined) out.push(`expire on ${dateOf(e.Date)}`);
  if (e?.ExpiredObjectDeleteMarker) out.push('remove expired delete markers');
  for (const t of rule.NoncurrentVersionTransitions ?? [])
    out.push(`noncurrent ${t.StorageClass} after ${t.NoncurrentDays} d`);
  if (rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined)
    out.push(`expire noncurrent after ${rule.NoncurrentVersionExpiration.NoncurrentDays} d`);
  if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined)
    out.push(`abort multipart after ${rule.AbortIncompleteMultipartUpload.DaysAfterInitiation} d`);
  return out.join('; ');
}

const dateOf = (d: Date | undefined): string => (d ? d.toISOString().slice(0, 10) : '?');

/** A rule in one line: its filter, then its actions. */
export const ruleLine = (r: LifecycleRule): string => `${describeFilter(r)}: ${describeActions(r)}`;
