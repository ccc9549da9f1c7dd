/**
 * PII redaction for transcripts. Runs synchronously inside `track()` for every text field, so it
 * is built for the common case: text with no digit and no '@' returns at once, and the rest is
 * one linear scan (indexOf for emails, one sticky-free regex for digit runs and IBANs) whose
 * candidates are confirmed in code (Luhn, mod-97, SSN and phone numbering rules) rather than by
 * regex backtracking, so no input can make it slow. Precision over recall where they conflict:
 * a redacted order number costs little, but a mangled transcript costs trust, so every candidate
 * must fit a real numbering plan.
 */

/**
 * The kinds of personal data found, with their placeholder label: one table, so the placeholders
 * in stored text and the counts in `stats()` can never disagree.
 */
export const REDACTION_KINDS = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  ssn: 'SSN',
  iban: 'IBAN',
} as const;

/** A kind of personal data, the key of its count (`counts.card`). */
export type RedactionKind = keyof typeof REDACTION_KINDS;

/**
 * A user-supplied redactor, run on each text after (or instead of) `redactText`: the shape is a
 * plain string function so that any library or hand-written replacement fits without a wrapper.
 */
export type Redactor = (text: string) => string;

type Counts = Partial<Record<RedactionKind, number>>;

/** What `redactText` returns if it fails internally: fail closed, never hand back unchecked text. */
const FAILED = '[REDACTED]';
const HAS_DIGIT_OR_AT = /[\d@]/;
/** Where a candidate may start (zero-width, so `lastIndex` lands on it): a digit, "+1", "(4", "GB82". */
const START = /(?=[+(]?\d|[A-Z]{2}\d\d)/g;
/** A sub-range of a run is only tried if it has this many digits (SSN 9 is the least; a 00 + 15-digit phone the most). */
const MIN_DIGITS = 8;
const MAX_DIGITS = 19;
/** Candidate sub-ranges tried per run: bounds the cost of adversarial runs such as "1 2 3 4 … 9". */
const BUDGET = 48;

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isUpperOrDigit = (c: number): boolean => isDigitCode(c) || (c >= 65 && c <= 90);
/** Characters a phone or card number may contain besides digits: space ( ) - . / */
const isRunCode = (c: number): boolean =>
  isDigitCode(c) || c === 32 || c === 40 || c === 41 || c === 45 || c === 46 || c === 47;
const isWordCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLocalCode = (c: number): boolean => isWordCode(c) || c === 46 || c === 37 || c === 43 || c === 45;
const isDomainCode = (c: number): boolean => isWordCode(c) || c === 46 || c === 45;

/**
 * Luhn checksum of a digit string. Exported for tests; it is what separates a card number from
 * any other 13-19 digit number (9 in 10 random numbers fail it).
 */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) d = d > 4 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * ISO 13616 check (length 15-34, country letters, mod 97 = 1), spaces ignored. Exported for tests;
 * it is what lets IBAN-shaped product codes through untouched.
 */
export function isIbanValid(iban: string): boolean {
  const s = iban.replaceAll(' ', '');
  if (s.length < 15 || s.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  return mod97(s) === 1;
}

/** ISO 7064 mod 97-10 of an uppercase IBAN, its first four characters moved to the end. */
function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt((i + 4) % s.length);
    r = c <= 57 ? (r * 10 + c - 48) % 97 : (r * 100 + c - 55) % 97;
  }
  return r;
}

const count = (counts: Counts, kind: RedactionKind): string => {
  counts[kind] = (counts[kind] ?? 0) + 1;
  return `[${REDACTION_KINDS[kind]}]`;
};

/** Emails: found from each '@' outwards (no regex, so a megabyte of letters costs one pass). */
function redactEmails(text: string, counts: Counts): string {
  let at = text.indexOf('@');
  if (at === -1) return text;
  let out = '';
  let last = 0;
  while (at !== -1) {
    let s = at;
    while (s > last && at - s < 64 && isLocalCode(text.charCodeAt(s - 1))) s--;
    while (s < at && text.charCodeAt(s) === 46) s++;
    let e = at + 1;
    while (e < text.length && e - at < 256 && isDomainCode(text.charCodeAt(e))) e++;
    while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
    const domain = text.slice(at + 1, e);
    if (s < at && /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/.test(domain)) {
      out += text.slice(last, s) + count(counts, 'email');
      last = e;
    }
    at = text.indexOf('@', Math.max(at + 1, e));
  }
  return last === 0 ? text : out + text.slice(last);
}

/** A 10-digit North American number: area code and exchange both start with 2-9. */
const isNanp = (d: string): boolean =>
  d.length === 10 && d[0] !== '0' && d[0] !== '1' && d[3] !== '0' && d[3] !== '1';

/**
 * What a sequence of digit groups is, if anything. `seps[k]` is the separator between groups k and
 * k+1, parentheses removed ('' when there was none or only a parenthesis).
 */
function classify(groups: string[], seps: string[], plus: boolean): RedactionKind | undefined {
  const d = groups.join('');
  const n = groups.length;
  const lens = groups.map((g) => g.length).join(',');
  const spoken = n >= 10 && d.length === n && seps.every((s) => s === ' ');
  // International: +CC or 00CC (the 00 form only when grouped, so "0012345678" stays an id).
  if (plus || (n > 1 && d.startsWith('00') && d[2] !== '0')) {
    const e164 = plus ? d : d.slice(2);
    if (e164[0] === '0' || seps.includes('/')) return undefined;
    if (e164[0] === '1') return isNanp(e164.slice(1)) ? 'phone' : undefined;
    return e164.length >= 8 && e164.length <= 15 ? 'phone' : undefined;
  }
  if (lens === '3,2,4' && seps[0] === seps[1] && (seps[0] === ' ' || seps[0] === '-')) {
    const ok = !/^(?:000|666|9)/.test(d) && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';
    return ok ? 'ssn' : undefined;
  }
  if (d.length >= 13 && d.length <= 19 && '23456'.includes(d[0] as string)) {
    const uniform = seps.every((s) => s === seps[0] && (s === ' ' || s === '-'));
    const shape = n === 1 || spoken || (uniform && /^(?:4,)+[1-4]$|^4,6,[45]$/.test(lens));
    if (shape) return isLuhnValid(d) ? 'card' : undefined;
  }
  // North America: 415 555 0132, (415) 555-0132, 415.555.0132, 1-800-555-0199, 4155550132.
  const us = d.length === 11 && d[0] === '1' ? d.slice(1) : d;
  if (isNanp(us) && (n === 1 || spoken || lens === '3,3,4' || lens === '1,3,3,4') && !seps.includes('/')) {
    return 'phone';
  }
  // Trunk-0 national numbers: 020 7946 0958, 07700 900123, 01 23 45 67 89, 030 1234567, 030/1234567.
  if (d[0] !== '0' || d[1] === '0' || d.length < 9 || d.length > 12) return undefined;
  if (n === 1 || spoken) return d.length >= 10 && d.length <= 11 ? 'phone' : undefined;
  const rest = seps.slice(1);
  const regular = rest.every((s) => s === rest[0] && s !== '/' && s !== '');
  const first = groups[0]?.length ?? 0;
  return regular && first >= 2 && first <= 5 && groups.every((g, k) => k === 0 || g.length >= 2)
    ? 'phone'
    : undefined;
}

/**
 * Redact the PII inside one digit run (e.g. "+44 (0)20 7946 0958. "): whole run first, else the
 * longest sub-range cut at spaces, left to right. Returns undefined when nothing was found.
 */
function redactRun(run: string, glued: boolean, counts: Counts): string | undefined {
  const groups: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const seps: string[] = [];
  for (let i = 0; i < run.length; ) {
    let j = i;
    while (j < run.length && run.charCodeAt(j) >= 48 && run.charCodeAt(j) <= 57) j++;
    if (j === i) {
      i++;
      continue;
    }
    // "+44 (0)20 …": the trunk 0 is written, not dialled; it becomes part of the separator.
    const trunk = j === i + 1 && run[i] === '0' && run[i - 1] === '(' && run[j] === ')';
    if (groups.length > 0 && !trunk)
      seps.push(run.slice(ends[ends.length - 1], i).replace(/\(0\)|[()]/g, ''));
    if (groups.length === 0 || !trunk) {
      groups.push(run.slice(i, j));
      starts.push(i);
      ends.push(j);
    }
    i = j;
  }
  if (glued && groups.pop() !== undefined) seps.pop();
  const pre = [0];
  for (const g of groups) pre.push((pre[pre.length - 1] as number) + g.length);
  if ((pre[groups.length] as number) < MIN_DIGITS) return undefined;
  // A separator of two or more characters (". ", " - ", two spaces) ends a number; a space may end one.
  const cut = (k: number): boolean =>
    k === 0 || k === groups.length || (seps[k - 1] as string).length !== 1 || seps[k - 1] === ' ';
  const spans = (i: number, j: number): boolean => seps.slice(i, j - 1).every((s) => s.length <= 1);
  let out = '';
  let last = 0;
  let budget = BUDGET;
  for (let i = 0; i < groups.length; i++) {
    if (!cut(i)) continue;
    for (let j = groups.length; j > i && budget > 0; j--) {
      const dn = (pre[j] as number) - (pre[i] as number);
      if (dn > MAX_DIGITS || !cut(j) || !spans(i, j)) continue;
      if (dn < MIN_DIGITS) break;
      budget--;
      const kind = classify(groups.slice(i, j), seps.slice(i, j - 1), i === 0 && run[0] === '+');
      if (kind === undefined) continue;
      let a = i === 0 ? 0 : (starts[i] as number);
      if (a > 0 && run[a - 1] === '(') a--;
      let b = ends[j - 1] as number;
      if (run[b] === ')' && run.slice(a, b).split('(').length > run.slice(a, b).split(')').length) b++;
      out += run.slice(last, a) + count(counts, kind);
      last = b;
      i = j - 1;
      break;
    }
  }
  return last === 0 ? undefined : out + run.slice(last);
}

/** Drop an IBAN's trailing space groups until it checks (a match may run into following capitals). */
function redactIban(raw: string, glued: boolean, counts: Counts): string | undefined {
  let end = glued ? raw.lastIndexOf(' ') : raw.length;
  while (end >= 15) {
    const compact = raw.slice(0, end).replaceAll(' ', '');
    if (compact.length >= 15 && mod97(compact) === 1) return count(counts, 'iban') + raw.slice(end);
    end = raw.lastIndexOf(' ', end - 1);
  }
  return undefined;
}

/**
 * Replace emails, phone numbers, payment cards (Luhn), US SSNs and IBANs (mod 97) in `text` by
 * `[EMAIL]`, `[PHONE]`, `[CARD]`, `[SSN]`, `[IBAN]`, adding one to `counts[kind]` per replacement.
 * Returns `text` itself when nothing matched; idempotent; never throws (fails closed to
 * `[REDACTED]` if it ever failed internally). Linear time in the length of `text`.
 */
export function redactText(text: string, counts: Counts): string {
  try {
    if (!HAS_DIGIT_OR_AT.test(text)) return text;
    const s = text.includes('@') ? redactEmails(text, counts) : text;
    let out = '';
    let last = 0;
    START.lastIndex = 0;
    while (START.test(s)) {
      let i = START.lastIndex;
      const c = s.charCodeAt(i);
      const iban = c > 57;
      // Never inside a word, nor right after "word-", "word." or "word/" (ORD-2025-000123, v1.2.3).
      const p = s.charCodeAt(i - 1);
      if (isWordCode(p) || ((p === 45 || p === 46 || p === 47) && isWordCode(s.charCodeAt(i - 2)))) {
        for (i++; isWordCode(s.charCodeAt(i)); ) i++;
        START.lastIndex = i;
        continue;
      }
      let j = i + 1;
      let digits = c === 43 ? 1 : 0; // "+": international numbers may be one digit shorter
      if (iban) {
        // Two capitals, two digits, then 11-30 capitals or digits, single spaces allowed between them.
        let alnum = 0;
        for (j = i + 4; alnum < 30; j++, alnum++) {
          if (s.charCodeAt(j) === 32 && isUpperOrDigit(s.charCodeAt(j + 1))) j++;
          else if (!isUpperOrDigit(s.charCodeAt(j))) break;
        }
        digits = alnum >= 11 ? MIN_DIGITS + 1 : 0;
      } else {
        for (j = i; j < s.length && j - i < 50 && isRunCode(s.charCodeAt(j)); j++)
          if (isDigitCode(s.charCodeAt(j))) digits++;
      }
      if (digits > MIN_DIGITS) {
        const raw = s.slice(i, j);
        const glued = isWordCode(s.charCodeAt(j)) && isWordCode(s.charCodeAt(j - 1));
        const rep = iban ? redactIban(raw, glued, counts) : redactRun(raw, glued, counts);
        if (rep !== undefined) {
          out += s.slice(last, i) + rep;
          last = j;
        }
      }
      START.lastIndex = j;
    }
    return last === 0 ? s : out + s.slice(last);
  } catch {
    return FAILED;
  }
}
