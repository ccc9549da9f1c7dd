/**
 * Emails in a transcript, for `redactText` (redact.ts): `name@domain.tld`, `user@localhost`, and
 * internationalized addresses (`jane@exämple.de`, `ivan@пример.рф`), whose letters may be of any
 * script. Each '@' is scanned outwards a bounded distance, so the cost is linear in the text.
 */

/** A word character in ASCII: a-z, A-Z, 0-9, _. */
const isAsciiWord = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** A letter, mark or digit beyond ASCII: internationalized addresses (`jane@exämple.de`) use them. */
const INTL_WORD = /^[\p{L}\p{M}\p{N}]$/u;
/** A character of an address's domain at `i`: a word character (any script), '.' or '-'. */
function isDomain(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 ? isAsciiWord(c) || c === 46 || c === 45 : INTL_WORD.test(text.charAt(i));
}
/** A character of an address's local part at `i`: the domain's, '%' or '+'. */
const isLocal = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c === 37 || c === 43 || isDomain(text, i);
};
/** A domain of labels and a top-level name of letters (any script, or its `xn--` form); or `localhost`. */
const DOMAIN =
  /^(?:(?:[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?\.)+(?:\p{L}[\p{L}\p{M}]+|xn--[a-z0-9-]+)|localhost)$/iu;

/**
 * Replace each email (also `user@localhost` and internationalized ones) by `placeholder()`.
 * Found from each '@' outwards: no regex over the text, so a megabyte of letters is one pass.
 */
export function redactEmails(text: string, placeholder: () => string): string {
  let out = '';
  let last = 0;
  for (let at = text.indexOf('@'); at !== -1; ) {
    let s = at;
    while (s > last && at - s < 64 && isLocal(text, s - 1)) s--;
    while (s < at && text.charCodeAt(s) === 46) s++;
    let e = at + 1;
    while (e - at < 256 && isDomain(text, e)) e++;
    while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
    if (s < at && DOMAIN.test(text.slice(at + 1, e))) {
      out += text.slice(last, s) + placeholder();
      last = e;
    }
    at = text.indexOf('@', Math.max(at + 1, e));
  }
  return last === 0 ? text : out + text.slice(last);
}
