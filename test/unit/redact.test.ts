/**
 * PII redaction (redact.ts) on its own, over test/fixtures/redaction-corpus.json: lines with
 * planted emails, phones, cards, SSNs and IBANs must lose every one of them (raw, and for numbers
 * their digits-only form too) and count each once; near-miss lines (order numbers, dates, prices,
 * versions, IPs, UUIDs, cards failing Luhn, IBANs failing mod 97…) must come back byte-identical.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isIbanValid,
  isLuhnValid,
  REDACTION_KINDS,
  type RedactionKind,
  redactText,
} from '../../packages/voicelake/src/redact.js';

interface Line {
  text: string;
  pii: string[];
  kinds?: RedactionKind[];
}
const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/redaction-corpus.json', import.meta.url), 'utf8'),
) as Line[];
const planted = corpus.filter((l) => l.pii.length > 0);
const nearMisses = corpus.filter((l) => l.pii.length === 0);
const KINDS = Object.keys(REDACTION_KINDS) as RedactionKind[];
const digitsOnly = (s: string): string => s.replace(/\D/g, '');
const placeholder = (kind: RedactionKind): string => `[${REDACTION_KINDS[kind]}]`;

describe('the redaction corpus', () => {
  it('has 100+ lines with PII covering every kind and 100+ near-misses, each value in its line', () => {
    // Prepare
    const kinds = new Set(planted.flatMap((l) => l.kinds ?? []));

    // Assess
    expect(planted.length, 'lines with planted PII').toBeGreaterThanOrEqual(100);
    expect(nearMisses.length, 'near-miss lines').toBeGreaterThanOrEqual(100);
    expect([...kinds].sort(), 'kinds planted in the corpus').toEqual([...KINDS].sort());
    const malformed = planted.filter(
      (l) => l.kinds?.length !== l.pii.length || l.pii.some((raw) => !l.text.includes(raw)),
    );
    expect(malformed, 'lines whose pii/kinds lists do not match their text').toEqual([]);
  });
});

describe('redactText over the corpus', () => {
  it('leaves no planted value, raw or (cards, phones) digits-only', () => {
    // Prepare
    const leaks: string[] = [];

    // Act
    for (const line of planted) {
      const out = redactText(line.text, {});
      line.pii.forEach((raw, k) => {
        if (out.includes(raw)) leaks.push(`"${raw}" survived in "${out}"`);
        const numeric = line.kinds?.[k] === 'card' || line.kinds?.[k] === 'phone';
        if (numeric && digitsOnly(out).includes(digitsOnly(raw))) {
          leaks.push(`the digits of "${raw}" survived in "${out}"`);
        }
      });
    }

    // Assess
    expect(leaks, 'planted PII still present after redaction (expected none)').toEqual([]);
  });

  it('returns every near-miss line byte-identical and counts nothing', () => {
    // Prepare
    const changed: string[] = [];

    // Act
    for (const line of nearMisses) {
      const counts = {};
      const out = redactText(line.text, counts);
      if (out !== line.text || Object.keys(counts).length > 0) {
        changed.push(`"${line.text}" became "${out}" ${JSON.stringify(counts)}`);
      }
    }

    // Assess
    expect(changed, 'near-miss lines altered by redaction (expected none)').toEqual([]);
  });

  it('counts each planted value once under its kind and writes its placeholder', () => {
    // Prepare
    const wrong: string[] = [];
    const total: Partial<Record<RedactionKind, number>> = {};
    const expectedTotal: Partial<Record<RedactionKind, number>> = {};

    // Act
    for (const line of planted) {
      const counts: Partial<Record<RedactionKind, number>> = {};
      const out = redactText(line.text, counts);
      const expected: Partial<Record<RedactionKind, number>> = {};
      for (const kind of line.kinds ?? []) expected[kind] = (expected[kind] ?? 0) + 1;
      for (const kind of KINDS) {
        const seen = out.split(placeholder(kind)).length - 1;
        if ((counts[kind] ?? 0) !== (expected[kind] ?? 0) || seen !== (expected[kind] ?? 0)) {
          wrong.push(
            `"${line.text}": expected ${JSON.stringify(expected)}, counted ${JSON.stringify(counts)}`,
          );
          break;
        }
      }
      redactText(line.text, total);
      for (const kind of line.kinds ?? []) expectedTotal[kind] = (expectedTotal[kind] ?? 0) + 1;
    }

    // Assess
    expect(wrong, 'lines whose counts or placeholders differ from their planted kinds').toEqual([]);
    expect(total, 'counts accumulated over the corpus in one object').toEqual(expectedTotal);
  });

  it('is idempotent: redacting the output again changes nothing and counts nothing', () => {
    // Prepare
    const unstable: string[] = [];

    // Act
    for (const line of corpus) {
      const once = redactText(line.text, {});
      const counts = {};
      const twice = redactText(once, counts);
      if (twice !== once || Object.keys(counts).length > 0) unstable.push(`"${once}" became "${twice}"`);
    }

    // Assess
    expect(unstable, 'outputs changed by a second pass (expected none)').toEqual([]);
  });
});

describe('redactText on odd input', () => {
  it.each([
    ['an empty string', '', ''],
    ['a lone high surrogate', '\uD800', '\uD800'],
    ['a lone low surrogate before a card', '\uDC00 4111 1111 1111 1111', '\uDC00 [CARD]'],
    ['a surrogate pair inside an email', 'mail 😀a@b.io\uD83D', 'mail 😀[EMAIL]\uD83D'],
    ['only separators', '+() -./ @@ @.', '+() -./ @@ @.'],
    ['a number glued to a word', '4155550132abc x4111111111111111', '4155550132abc x4111111111111111'],
    ['an unclosed parenthesis', 'call ((415) 555-0132', 'call ([PHONE]'],
    ['control characters', '\u0000415-555-0132\u0000', '\u0000[PHONE]\u0000'],
  ])('does not throw on %s', (_label, input, expected) => {
    // Act
    const out = redactText(input, {});

    // Assess
    expect(out, `redaction of ${JSON.stringify(input)}`).toBe(expected);
  });

  it.each([
    ['ssn 123456789', 'ssn [SSN]'],
    ['The reference is 123456789', 'The reference is 123456789'],
    ['zip 02139-4307', 'zip 02139-4307'],
    ['call 02139-4307', 'call [PHONE]'],
    ['mail user@localhost', 'mail [EMAIL]'],
    ['mail jane@exämple.de.', 'mail [EMAIL].'],
  ])('redacts %j as %j: the context word decides', (text, expected) => {
    // Act, Assess
    expect(redactText(text, {})).toBe(expected);
  });

  it('fails closed, without throwing, on a non-string or a counts object it cannot write', () => {
    // Act
    const notString = redactText(null as unknown as string, {});
    const frozen = redactText('my card is 4111 1111 1111 1111', Object.freeze({}));

    // Assess
    expect(notString, 'a non-string input').toBe('[REDACTED]');
    expect(frozen, 'a frozen counts object (expected the fail-closed placeholder, not the raw text)').toBe(
      '[REDACTED]',
    );
  });

  it.each([
    ['corpus lines', () => corpus.map((l) => l.text).join(' ')],
    ['digits', () => '4'],
    ['spoken digits', () => '1 2 3 4 5 6 7 8 9 '],
    ['parenthesized digits', () => '(1) '],
    ['at signs', () => '@'],
    ['letters', () => 'a'],
    ['capitals and digits', () => 'AB12 CDEF '],
    ['dashed digits', () => '1-'],
    ['non-ASCII letters and at signs', () => 'ä@'],
    ['internationalized addresses without a top-level domain', () => 'jösé.müller@exämple'],
    ['SSN words before nine digits', () => 'ssn 123456789 zip 02139-4307 '],
  ])('redacts 1 MB of %s in linear time', (label, unit) => {
    // Prepare: 1 MB of the unit; a quadratic scan of it would take minutes, not milliseconds.
    const u = unit();
    const text = u.repeat(Math.ceil(2 ** 20 / u.length)).slice(0, 2 ** 20);

    // Act
    const started = performance.now();
    const out = redactText(text, {});
    const ms = performance.now() - started;

    // Assess
    expect(typeof out, `the result for 1 MB of ${label}`).toBe('string');
    expect(ms, `milliseconds for 1 MB of ${label} (expected well under 2 s)`).toBeLessThan(2000);
    if (label === 'corpus lines') {
      const survivors = planted.flatMap((l) => l.pii).filter((raw) => out.includes(raw));
      expect(survivors, 'planted PII surviving in the 1 MB transcript').toEqual([]);
    }
  });
});

describe('checksums', () => {
  it.each([
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '6011111111111117',
    '4222222222222',
    '6205500000000000004',
  ])('accepts the Luhn-valid test card %s', (card) => {
    expect(isLuhnValid(card), `Luhn check of ${card} (expected valid)`).toBe(true);
  });

  it.each([
    '4111111111111112',
    '5555555555555555',
    '1234567890123456',
    '',
    '4111 1111 1111 1111',
    '411111111111111x',
  ])('rejects %j under Luhn', (card) => {
    expect(isLuhnValid(card), `Luhn check of ${JSON.stringify(card)} (expected invalid)`).toBe(false);
  });

  it.each([
    'GB82 WEST 1234 5698 7654 32',
    'DE89370400440532013000',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
    'NO9386011117947',
  ])('accepts the mod-97-valid IBAN %s', (iban) => {
    expect(isIbanValid(iban), `mod-97 check of ${iban} (expected valid)`).toBe(true);
  });

  it.each([
    'GB82 WEST 1234 5698 7654 33',
    'DE00370400440532013000',
    'gb82west12345698765432',
    'GB82WEST',
    `DE89${'0'.repeat(40)}`,
  ])('rejects %j under mod 97', (iban) => {
    expect(isIbanValid(iban), `mod-97 check of ${iban} (expected invalid)`).toBe(false);
  });
});
