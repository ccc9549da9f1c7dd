/**
 * A light scan of SQL text for `voicelake query --sql`: the first word of each statement, past
 * comments, string literals and quoted names. DuckDB's own parser is the authority (sql-guard.ts
 * refuses on its tree); this only names what was refused (`CALL statements are not allowed`).
 */

/**
 * The first word of each statement of `sql`, upper-cased, skipping blanks, comments, string
 * literals and quoted names. Best effort: it words a refusal, it decides none.
 */
export function leadingKeywords(sql: string): string[] {
  const keywords: string[] = [];
  let atStart = true;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else if (c === ';') {
      atStart = true;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      if (atStart) keywords.push((/^[A-Za-z_]+/.exec(sql.slice(i))?.[0] ?? c).toUpperCase());
      atStart = false;
      i = skipToken(sql, i);
    }
  }
  return keywords;
}

/** The index after the token at `i`: a quoted string or name, a dollar-quoted string, or one character. */
function skipToken(sql: string, i: number): number {
  const c = sql[i] as string;
  if (c === "'" || c === '"') {
    // E'...' strings escape with backslashes; all quoted text escapes a quote by doubling it.
    const backslash = c === "'" && /[eE]/.test(sql[i - 1] ?? '') && !/[\w]/.test(sql[i - 2] ?? '');
    let j = i + 1;
    while (j < sql.length) {
      if (backslash && sql[j] === '\\') j += 2;
      else if (sql[j] === c && sql[j + 1] === c) j += 2;
      else if (sql[j] === c) return j + 1;
      else j++;
    }
    return sql.length;
  }
  const dollar = c === '$' ? /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0] : undefined;
  if (dollar !== undefined) {
    const end = sql.indexOf(dollar, i + dollar.length);
    return end < 0 ? sql.length : end + dollar.length;
  }
  return i + 1;
}
