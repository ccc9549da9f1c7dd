/**
 * An independent SQL parser for the dialect checks: sqlglot (Python), from the pinned test
 * venv (helpers/venv.ts). One Python process parses a whole batch of statements.
 */
import { execFileSync } from 'node:child_process';
import { testPython as python } from './venv.js';

export type SqlglotDialect = 'athena' | 'trino' | 'duckdb' | 'hive';

export interface Parsed {
  readonly ok: boolean;
  /** sqlglot's error, when the statement does not parse. */
  readonly error?: string;
  /** How many statements the text holds. */
  readonly statements: number;
  /** sqlglot's class of the (first) statement: `Select`, `Create`, `Alter`; `Command` means it did not really parse it. */
  readonly kind?: string;
  /** `CREATE TABLE`/`ALTER TABLE … ADD COLUMNS`: the column definitions; a query or view: its output names. */
  readonly columns?: string[];
  /** `CREATE TABLE`: TBLPROPERTIES. */
  readonly properties?: Record<string, string>;
  /** Functions sqlglot does not know in this dialect (`exp.Anonymous`), lower case. */
  readonly unknownFunctions?: string[];
}

const SCRIPT = `
import json, sys, sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

out = []
for item in json.load(sys.stdin):
    try:
        trees = [t for t in sqlglot.parse(item["sql"], read=item["dialect"], error_level=ErrorLevel.RAISE) if t is not None]
    except Exception as e:
        out.append({"ok": False, "error": str(e), "statements": 0})
        continue
    if not trees:
        out.append({"ok": False, "error": "no statement", "statements": 0})
        continue
    tree = trees[0]
    result = {"ok": True, "statements": len(trees), "kind": type(tree).__name__}
    if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema):
        result["columns"] = [c.name for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
        props = tree.args.get("properties")
        result["properties"] = {
            p.name: p.args["value"].name
            for p in (props.expressions if props else [])
            if type(p) is exp.Property
        }
    elif isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        result["columns"] = tree.expression.named_selects
    elif isinstance(tree, exp.Alter):
        result["columns"] = [c.name for c in tree.find_all(exp.ColumnDef)]
    elif isinstance(tree, exp.Query):
        result["columns"] = tree.named_selects
    result["unknownFunctions"] = sorted({f.name.lower() for f in tree.find_all(exp.Anonymous)})
    out.append(result)
json.dump(out, sys.stdout)
`;

/** Parse each statement with sqlglot in its dialect (strict: any parse error fails it). */
export function parseSql(items: readonly { sql: string; dialect: SqlglotDialect }[]): Parsed[] {
  const stdout = execFileSync(python(), ['-c', SCRIPT], {
    input: JSON.stringify(items),
    maxBuffer: 64 * 1024 * 1024,
    // sqlglot logs unsupported-property warnings on stderr; only the JSON result matters.
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  return JSON.parse(stdout.toString()) as Parsed[];
}

/**
 * Translate statements from one dialect to another with sqlglot (`sqlglot.transpile`, strict):
 * an independent translation, so a test can run SQL written for Athena on DuckDB.
 */
export function transpileSql(
  statements: readonly string[],
  read: SqlglotDialect,
  write: SqlglotDialect,
): string[] {
  const script = `
import json, sys, sqlglot
from sqlglot.errors import ErrorLevel
out = []
for sql in json.load(sys.stdin):
    out.append(";\\n".join(sqlglot.transpile(sql, read=${JSON.stringify(read)}, write=${JSON.stringify(write)}, unsupported_level=ErrorLevel.RAISE, error_level=ErrorLevel.RAISE)))
json.dump(out, sys.stdout)
`;
  const stdout = execFileSync(python(), ['-c', script], {
    input: JSON.stringify(statements),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(stdout.toString()) as string[];
}
