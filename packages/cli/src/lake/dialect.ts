/**
 * The SQL differences between DuckDB (local) and Athena (Trino), in one place. A named query
 * is written once against these helpers and rendered for either engine.
 */
export type Dialect = 'duckdb' | 'athena';

/** A SQL string literal (both dialects double a quote inside one). */
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export interface SqlHelpers {
  readonly dialect: Dialect;
  /** Percentile `p` (0-1) of `expr`: exact `quantile_cont` on DuckDB, `approx_percentile` on Athena. */
  pct(expr: string, p: number): string;
  /** The partition's day as `YYYY-MM-DD`, from the `year`/`month`/`day` partition columns. */
  day(): string;
  /** `TRY_CAST(expr AS type)`; `type` is a portable SQL type (`DOUBLE`, `BIGINT`, `VARCHAR`). */
  tryCast(expr: string, type: 'DOUBLE' | 'BIGINT' | 'VARCHAR'): string;
  /** A field of the `custom` JSON column, as text. */
  custom(field: string): string;
  /** `event_time` as a timestamp. */
  eventTime(): string;
  /** Round to `digits` decimals. */
  round(expr: string, digits?: number): string;
}

const jsonPath = (field: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
    throw new Error(`custom field name ${JSON.stringify(field)} is not a plain identifier`);
  return `'$.${field}'`;
};

export function sqlHelpers(dialect: Dialect): SqlHelpers {
  const duck = dialect === 'duckdb';
  return {
    dialect,
    pct: (expr, p) => (duck ? `quantile_cont(${expr}, ${p})` : `approx_percentile(${expr}, ${p})`),
    day: () =>
      duck
        ? `printf('%04d-%02d-%02d', CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))`
        : `format('%04d-%02d-%02d', CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))`,
    tryCast: (expr, type) => `TRY_CAST(${expr} AS ${type})`,
    custom: (field) =>
      duck
        ? `json_extract_string(custom, ${jsonPath(field)})`
        : `json_extract_scalar(custom, ${jsonPath(field)})`,
    eventTime: () => (duck ? 'CAST(event_time AS TIMESTAMP)' : 'from_iso8601_timestamp(event_time)'),
    round: (expr, digits = 0) => `round(${expr}, ${digits})`,
  };
}
