/**
 * The allow-list `voicelake query --sql` passes before it runs: DuckDB parses the SQL
 * (`json_serialize_sql`, which serializes SELECT statements only), and this walks the tree. A
 * query passes when it is one SELECT (WITH, UNION, PIVOT with an IN list, DESCRIBE and
 * SUMMARIZE of a query allowed) whose tables are the lake's views or its own WITH names, whose
 * calls are all in sql-allowed.ts, and whose every node is of a kind known here. Anything else
 * is refused, with what was refused named: an unknown kind of node fails closed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { QueryError } from 'voicelake';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, isBuiltInSchema, isOperator } from './sql-allowed.js';
import { leadingKeywords } from './sql-scan.js';

type Node = Record<string, unknown>;

/** Expression classes of a read: everything but parameters (`$1`, `?`) and DEFAULT. */
const EXPRESSIONS = new Set([
  'BETWEEN',
  'CASE',
  'CAST',
  'COLLATE',
  'COLUMN_REF',
  'COMPARISON',
  'CONJUNCTION',
  'CONSTANT',
  'FUNCTION',
  'LAMBDA',
  'LAMBDA_REF',
  'OPERATOR',
  'POSITIONAL_REFERENCE',
  'STAR',
  'SUBQUERY',
  'WINDOW',
]);

/** Query nodes: a SELECT, a set operation (UNION, EXCEPT, INTERSECT), a (recursive) WITH. */
const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);

/** What may follow FROM; BASE_TABLE, TABLE_FUNCTION and SHOW_REF are checked further. */
const TABLE_REFS = new Set([
  'BASE_TABLE',
  'EMPTY',
  'EXPRESSION_LIST',
  'JOIN',
  'PIVOT',
  'SHOW_REF',
  'SUBQUERY',
  'TABLE_FUNCTION',
]);

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const lower = (v: unknown): string => text(v).toLowerCase();

/** `catalog.schema.name` as written, for a message. */
const qualified = (...parts: unknown[]): string =>
  parts
    .map(text)
    .filter((p) => p !== '')
    .join('.');

/**
 * Why the parsed statements may not run, or undefined when they may. `parsed` is
 * `json_serialize_sql`'s result; `views` the lake's views (lower case).
 */
export function refusal(parsed: unknown, views: readonly string[]): string | undefined {
  if (!isNode(parsed) || !Array.isArray(parsed.statements)) return 'DuckDB gave no parse tree';
  if (parsed.statements.length !== 1)
    return `${parsed.statements.length} statements: only one SELECT is allowed`;
  const found: string[] = [];
  visit(parsed.statements[0], new Set(views), found);
  return found[0];
}

/** Walk every value under `value`; `tables` is what a table name may be here (views and WITH names in scope). */
function visit(value: unknown, tables: ReadonlySet<string>, found: string[]): void {
  if (found.length > 0) return;
  if (Array.isArray(value)) {
    for (const v of value) visit(v, tables, found);
    return;
  }
  if (!isNode(value)) return;
  const problem = check(value, tables);
  if (problem !== undefined) {
    found.push(problem);
    return;
  }
  let scope = tables;
  // A WITH's names: each body sees the names before it and its own (WITH RECURSIVE); the rest sees them all.
  const ctes = isNode(value.cte_map) && Array.isArray(value.cte_map.map) ? value.cte_map.map : [];
  for (const entry of ctes) {
    if (!isNode(entry)) continue;
    scope = new Set([...scope, lower(entry.key)]);
    visit(entry.value, scope, found);
  }
  if (typeof value.ctename === 'string') scope = new Set([...scope, lower(value.ctename)]);
  for (const [key, child] of Object.entries(value)) if (key !== 'cte_map') visit(child, scope, found);
}

/** What is wrong with this one node, if anything: the allow-lists, by kind of node. */
function check(node: Node, tables: ReadonlySet<string>): string | undefined {
  if (typeof node.class === 'string') return checkExpression(node);
  if (typeof node.type !== 'string') return undefined;
  if ('modifiers' in node) return QUERY_NODES.has(node.type) ? undefined : `a ${node.type} is not a read`;
  if ('sample' in node && 'alias' in node) return checkTableRef(node, tables);
  return undefined;
}

function checkExpression(node: Node): string | undefined {
  const kind = text(node.class);
  if (!EXPRESSIONS.has(kind))
    return kind === 'PARAMETER' ? 'a query parameter is not allowed' : `a ${kind} expression is not allowed`;
  if (kind !== 'FUNCTION' && kind !== 'WINDOW') return undefined;
  const name = lower(node.function_name);
  if (!isBuiltInSchema(text(node.catalog), text(node.schema)))
    return `the function ${qualified(node.catalog, node.schema, node.function_name)}() is not allowed: only built-in functions`;
  if (ALLOWED_FUNCTIONS.has(name) || isOperator(name)) return undefined;
  return `the function ${text(node.function_name)}() is not allowed`;
}

function checkTableRef(node: Node, tables: ReadonlySet<string>): string | undefined {
  const kind = text(node.type);
  if (!TABLE_REFS.has(kind)) return `FROM ${kind} is not allowed`;
  if (kind === 'BASE_TABLE') {
    const name = qualified(node.catalog_name, node.schema_name, node.table_name);
    // A name DuckDB could take for a file or URL (a replacement scan) is refused even as a WITH name.
    if (/[/\\.:]/.test(text(node.table_name)))
      return `the table ${JSON.stringify(name)} is not allowed: it names a file or URL`;
    if (
      text(node.catalog_name) !== '' ||
      text(node.schema_name) !== '' ||
      !tables.has(lower(node.table_name))
    )
      return `the table ${JSON.stringify(name)} is not allowed: only the lake's views and the query's own WITH names`;
    if (node.at_clause !== null && node.at_clause !== undefined) return 'AT (time travel) is not allowed';
  }
  if (kind === 'TABLE_FUNCTION') {
    const call = isNode(node.function) ? node.function : {};
    const name = lower(call.function_name);
    if (!ALLOWED_TABLE_FUNCTIONS.has(name) || !isBuiltInSchema(text(call.catalog), text(call.schema)))
      return `the table function ${qualified(call.catalog, call.schema, call.function_name)}() is not allowed`;
  }
  if (kind === 'SHOW_REF' && (text(node.table_name) !== '' || !isNode(node.query)))
    return `SHOW ${text(node.table_name)} is not allowed: DESCRIBE or SUMMARIZE a query or a view`;
  return undefined;
}

/**
 * Parse `sql` with DuckDB (the SQL is a bound parameter: nothing of it runs) and throw a
 * `QueryError` naming what is refused, unless it is one SELECT that passes `refusal`.
 */
export async function checkSelect(
  connection: DuckDBConnection,
  sql: string,
  views: readonly string[],
): Promise<void> {
  const refuse = (reason: string): QueryError =>
    new QueryError(
      `the query was refused: ${reason} (--sql runs one SELECT over ${views.join(' or ')} that calls only pure functions; see docs/security.md)`,
    );
  // DuckDB's C API reads SQL up to a NUL: what follows one would be checked by no one.
  if (sql.includes('\0')) throw refuse('the SQL holds a NUL character');
  const reader = await connection
    .runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR) AS tree', { sql })
    .catch((error: unknown) => {
      throw new QueryError(`query failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    });
  const tree = JSON.parse(String(reader.getRowObjectsJson()[0]?.tree)) as unknown;
  if (isNode(tree) && tree.error === true) {
    if (tree.error_type !== 'not implemented')
      throw new QueryError(
        `query failed: ${tree.error_type === 'parser' ? 'Parser Error: ' : ''}${text(tree.error_message)}`,
      );
    const kinds = leadingKeywords(sql);
    if (kinds.length > 1)
      throw refuse(`${kinds.length} statements (${kinds.join(', ')}): only one SELECT is allowed`);
    if (kinds[0] !== undefined && !['SELECT', 'WITH', 'FROM', 'VALUES', 'PIVOT'].includes(kinds[0]))
      throw refuse(`${kinds[0]} statements are not allowed`);
    throw refuse(
      /\bpivot\b/i.test(sql)
        ? 'it is not a single SELECT (a PIVOT needs its values listed: PIVOT … ON col IN (…))'
        : 'it is not a single SELECT',
    );
  }
  if (isNode(tree) && Array.isArray(tree.statements) && tree.statements.length === 0)
    throw new QueryError('query failed: the SQL holds no statement');
  const reason = refusal(tree, views);
  if (reason !== undefined) throw refuse(reason);
}
