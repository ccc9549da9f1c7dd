/**
 * PII redaction for transcripts. It runs synchronously inside `track()` for every text field, so
 * it is built for the common case: text with no digit and no '@' returns at once; the rest is one
 * linear pass (indexOf for emails, a zero-width regex that jumps to each digit run or IBAN) whose
 * candidates are confirmed in code (Luhn, mod 97, SSN and phone numbering rules) rather than by
 * regex backtracking, so no input can make it slow. Every candidate must fit a real numbering
 * plan: a redacted order number would cost less than a leak, but a mangled transcript costs trust.
 * Where the digits alone cannot tell, the words just before them do ("ssn 123456789",
 * "zip 02139-4307").
 */

import { redactEmails } from './redact-email.js';

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

/** A kind of personal data, and the key of its count (`counts.card`). */
export type RedactionKind = keyof typeof REDACTION_KINDS;

/** A user-supplied redactor: a plain string function, so any library fits without a wrapper. */
export type Redactor = (text: string) => string;

type Counts = Partial<Record<RedactionKind, number>>;

/** What `redactText` returns if it ever fails: fail closed, never hand back unchecked text. */
const FAILED = '[REDACTED]';
const HAS_DIGIT_OR_AT = /[\d@]/;
/** Where a candidate may start (zero-width, so `lastIndex` lands on it): "4", "+4", "(4", "GB82". */
const START = /(?=[+(]?\d|[A-Z]{2}\d\d)/g;
/** Digits a candidate may have: an 8-digit international number to a 19-digit card. */
const MIN_DIGITS = 8;
const MAX_DIGITS = 19;
/** Sub-ranges classified per run at most: bounds the cost of runs such as "1 2 3 4 5 6 … 9". */
const BUDGET = 16;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpperOrDigit = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90);
const isWord = (c: number): boolean => isUpperOrDigit(c) || (c >= 97 && c <= 122) || c === 95;
/** Digits and what may separate them in a number: space ( ) - . / */
const isRun = (c: number): boolean => isDigit(c) || c === 32 || c === 40 || c === 41 || (c >= 45 && c <= 47);
/**
 * Luhn checksum of a digit string. Exported for tests: it is what tells a card number from any
 * other 13-19 digit number (9 in 10 random numbers fail it).
 */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    sum += double ? (d > 4 ? d * 2 - 9 : d * 2) : d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * ISO 13616 check of an IBAN (capitals, spaces ignored, 15-34 characters, mod 97 = 1). Exported
 * for tests: it is what lets IBAN-shaped product codes through untouched.
 */
export function isIbanValid(iban: string): boolean {
  const s = iban.replaceAll(' ', '');
  return s.length >= 15 && s.length <= 34 && /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s) && mod97(s) === 1;
}

/** ISO 7064 mod 97-10 of a compact uppercase IBAN, its first four characters moved to the end. */
function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt((i + 4) % s.length);
    r = c <= 57 ? (r * 10 + c - 48) % 97 : (r * 100 + c - 55) % 97;
  }
  return r;
}

function count(counts: Counts, kind: RedactionKind): string {
  counts[kind] = (counts[kind] ?? 0) + 1;
  return `[${REDACTION_KINDS[kind]}]`;
}

/**
 * What the words just before a number say it is: `ssn` ("SSN", "social security number") makes
 * nine plain digits an SSN; `zip` ("zip", "ZIP code", "postal code") makes 5-4 digits a ZIP+4,
 * which the docs promise to keep.
 */
type Context = 'ssn' | 'zip' | undefined;
/** How far back a context word is looked for, in characters. */
const CONTEXT_WINDOW = 40;
const SSN_WORDS =
  /\b(?:ssn|ss#|social(?:\s+security)?)(?:\s*(?:number|no\.?|#))?[^\p{L}\d]*(?:(?:is|was|of)\s+)?$/iu;
const ZIP_WORDS =
  /\b(?:zip|zip\s*code|zipcode|postal\s+code|postcode)(?:\s*\+\s*4)?[^\p{L}\d]*(?:(?:is|was)\s+)?$/iu;

function contextBefore(text: string, at: number): Context {
  const before = text.slice(Math.max(0, at - CONTEXT_WINDOW), at);
  return SSN_WORDS.test(before) ? 'ssn' : ZIP_WORDS.test(before) ? 'zip' : undefined;
}

/** SSN AAA GG SSSS: area 000, 666 and 9xx, group 00 and serial 0000 are never issued. */
const isSsn = (d: string): boolean => /^(?!000|666|9)\d{3}(?!00)\d\d(?!0000)\d{4}$/.test(d);

/** A 10-digit North American number: area code and exchange both start with 2-9. */
const isNanp = (d: string): boolean => d.length === 10 && d.charCodeAt(0) > 49 && d.charCodeAt(3) > 49;

/**
 * What a sequence of digit groups is, if anything. `seps[k]` separates groups k and k+1, its
 * parentheses removed ('' when there was nothing else). `plus`: written with a leading '+'.
 */
function classify(
  groups: string[],
  seps: string[],
  plus: boolean,
  context: Context,
): RedactionKind | undefined {
  const n = groups.length;
  const d = groups.join('');
  // After a ZIP word, 5-4 digits joined by '-' are a ZIP+4 ("zip 02139-4307"), never a phone.
  if (context === 'zip' && n === 2 && seps[0] === '-' && groups[0]?.length === 5 && groups[1]?.length === 4)
    return undefined;
  // After an SSN word, nine plain digits are an SSN ("ssn 123456789").
  if (context === 'ssn' && n === 1 && d.length === 9) return isSsn(d) ? 'ssn' : undefined;
  // Group lengths ("3,3,4"); only short lists can have a card, SSN or NANP shape.
  const lens = n <= 5 ? groups.map((g) => g.length).join(',') : '';
  const spoken = n >= 10 && d.length === n && seps.every((s): boolean => s === ' '); // "4 1 5 5 5 5 0 1 3 2"
  // International: +CC or 00CC (the 00 form only when grouped, so "0012345678" stays an id).
  if (plus || (n > 1 && d.startsWith('00') && d[2] !== '0')) {
    const e164 = plus ? d : d.slice(2);
    if (e164[0] === '0' || seps.includes('/')) return undefined;
    if (e164[0] === '1') return isNanp(e164.slice(1)) ? 'phone' : undefined;
    return e164.length >= 8 && e164.length <= 15 ? 'phone' : undefined;
  }
  // SSN AAA-GG-SSSS (or with spaces).
  if (lens === '3,2,4' && seps[0] === seps[1] && (seps[0] === ' ' || seps[0] === '-')) {
    return isSsn(d) ? 'ssn' : undefined;
  }
  // Cards: 13-19 digits, issuers 2-6, grouped as printed (4-4-4-4, 4-6-5) or not at all.
  if (d.length >= 13 && d.length <= 19 && d.charCodeAt(0) >= 50 && d.charCodeAt(0) <= 54) {
    const uniform = seps.every((s): boolean => s === seps[0] && (s === ' ' || s === '-'));
    if (n === 1 || spoken || (uniform && /^(?:4,)+[1-4]$|^4,6,[45]$/.test(lens))) {
      return isLuhnValid(d) ? 'card' : undefined;
    }
  }
  if (seps.indexOf('/', 1) !== -1) return undefined; // dates: 01/02/2025
  // North America: 415 555 0132, (415) 555-0132, 415.555.0132, 1-800-555-0199, 4155550132.
  const us = d.length === 11 && d[0] === '1' ? d.slice(1) : d;
  const nanpShape = n === 1 || spoken || lens === '3,3,4' || lens === '1,3,3,4';
  if (isNanp(us) && nanpShape && !seps.includes('/')) return 'phone';
  // Trunk-0 national: 020 7946 0958, 07700 900123, 01 23 45 67 89, 030 1234567, 030/1234567.
  if (d[0] !== '0' || d[1] === '0' || d.length < 9 || d.length > 12) return undefined;
  if (n === 1 || spoken) return d.length >= 10 && d.length <= 11 ? 'phone' : undefined;
  const area = groups[0]?.length ?? 0;
  const regular = seps.every((s, k) => k === 0 || (s === seps[1] && s !== ''));
  return regular && area >= 2 && area <= 5 && groups.every((g, k) => k === 0 || g.length >= 2)
    ? 'phone'
    : undefined;
}

/**
 * Redact what one run of digits and separators holds (e.g. "+44 (0)20 7946 0958. "): the longest
 * sub-range that classifies, cut only at spaces, left to right. Undefined when nothing was found.
 */
function redactRun(run: string, glued: boolean, context: Context, counts: Counts): string | undefined {
  const groups: string[] = [];
  const starts: number[] = [];
  const seps: string[] = [];
  let prevEnd = 0;
  for (let i = 0, j = 0; i < run.length; i = j) {
    for (j = i; isDigit(run.charCodeAt(j)); ) j++;
    if (j === i) {
      j++;
      continue;
    }
    // "+44 (0)20 …": the trunk 0 is written, not dialled; it becomes part of the separator.
    if (groups.length > 0 && j === i + 1 && run[i] === '0' && run[i - 1] === '(' && run[j] === ')') continue;
    if (groups.length > 0) {
      const sep = run.slice(prevEnd, i);
      seps.push(sep === ' ' || sep === '-' || sep === '.' ? sep : sep.replace(/\(0\)|[()]/g, ''));
    }
    groups.push(run.slice(i, j));
    starts.push(i);
    prevEnd = j;
  }
  // The last group runs into a word ("4155550132abc"): not part of a number.
  if (glued && groups.pop() !== undefined) seps.pop();
  const pre = [0];
  for (const g of groups) pre.push((pre[pre.length - 1] as number) + g.length);
  if ((pre[groups.length] as number) < MIN_DIGITS) return undefined;
  // ". ", " - " or two spaces end a number; a single space may end one.
  const hard = (k: number): boolean => (seps[k - 1] as string).length > 1;
  const cut = (k: number): boolean => k === 0 || k === groups.length || hard(k) || seps[k - 1] === ' ';
  let out = '';
  let last = 0;
  let budget = BUDGET;
  for (let i = 0; i < groups.length; i++) {
    if (!cut(i)) continue;
    let stop = i + 1;
    while (stop < groups.length && !hard(stop)) stop++;
    for (let j = stop; j > i && budget > 0; j--) {
      const dn = (pre[j] as number) - (pre[i] as number);
      if (dn < MIN_DIGITS) break;
      if (dn > MAX_DIGITS || !cut(j)) continue;
      budget--;
      const first = i === 0;
      const kind = classify(
        groups.slice(i, j),
        seps.slice(i, j - 1),
        first && run[0] === '+',
        first ? context : undefined,
      );
      if (kind === undefined) continue;
      let a = i === 0 ? 0 : (starts[i] as number);
      if (a > 0 && run[a - 1] === '(') a--;
      let b = (starts[j - 1] as number) + (groups[j - 1] as string).length;
      const inner = run.slice(a, b);
      if (run[b] === ')' && inner.split('(').length > inner.split(')').length) b++;
      out += run.slice(last, a) + count(counts, kind);
      last = b;
      i = j - 1;
      break;
    }
  }
  return last === 0 ? undefined : out + run.slice(last);
}

/** An IBAN, dropping trailing space groups until it checks (a match may run into following capitals). */
function redactIban(raw: string, glued: boolean, counts: Counts): string | undefined {
  for (let end = glued ? raw.lastIndexOf(' ') : raw.length; end >= 15; end = raw.lastIndexOf(' ', end - 1)) {
    if (isIbanValid(raw.slice(0, end))) return count(counts, 'iban') + raw.slice(end);
  }
  return undefined;
}

/**
 * Replace emails, phone numbers, payment cards (Luhn-checked), US SSNs and IBANs (mod-97-checked)
 * in `text` by `[EMAIL]`, `[PHONE]`, `[CARD]`, `[SSN]`, `[IBAN]`, adding one to `counts[kind]` per
 * replacement: the hot-path redactor of `track()`. Returns `text` itself when nothing matched;
 * idempotent; linear in the length of `text`; never throws (returns `[REDACTED]` if it ever failed,
 * rather than text it could not check).
 */
export function redactText(text: string, counts: Counts): string {
  try {
    if (typeof text !== 'string') return FAILED;
    if (!HAS_DIGIT_OR_AT.test(text)) return text;
    const s = text.includes('@') ? redactEmails(text, () => count(counts, 'email')) : text;
    let out = '';
    let last = 0;
    START.lastIndex = 0;
    while (START.test(s)) {
      let i = START.lastIndex;
      const c = s.charCodeAt(i);
      // Never inside a word, nor right after "word-", "word." or "word/" (ORD-2025-000123, v1.2.3).
      const p = s.charCodeAt(i - 1);
      if (isWord(p) || (p >= 45 && p <= 47 && isWord(s.charCodeAt(i - 2)))) {
        for (i++; isWord(s.charCodeAt(i)); ) i++;
        START.lastIndex = i;
        continue;
      }
      const iban = c > 57;
      let j = i + 1;
      // The first character counts as a digit even if it is '+' or '(': see the threshold below.
      let digits = iban ? 0 : 1;
      if (iban) {
        // Two capitals, two digits, then 11-30 capitals or digits, single spaces allowed between.
        let alnum = 0;
        for (j = i + 4; alnum < 30; j++, alnum++) {
          if (s.charCodeAt(j) === 32 && isUpperOrDigit(s.charCodeAt(j + 1))) j++;
          else if (!isUpperOrDigit(s.charCodeAt(j))) break;
        }
        if (alnum >= 11) digits = MIN_DIGITS + 1;
      } else {
        for (; j - i < 50 && isRun(s.charCodeAt(j)); j++) if (isDigit(s.charCodeAt(j))) digits++;
      }
      // Only '+' numbers may have 8 digits; everything else has 9 or more.
      if (digits > MIN_DIGITS) {
        const raw = s.slice(i, j);
        const glued = isWord(s.charCodeAt(j)) && isWord(s.charCodeAt(j - 1));
        const rep = iban
          ? redactIban(raw, glued, counts)
          : redactRun(raw, glued, contextBefore(s, i), counts);
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
