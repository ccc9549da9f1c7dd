/**
 * What the two SQL services the CLI talks to, Athena and a team's own Trino, have in common:
 * they run the same SQL over the same tables (`athena ddl` / `trino ddl`), and answer with typed
 * rows and what the query scanned. Commands hold an `SqlEngine` and never ask which one it is.
 */
export interface SqlQueryOptions {
  /** Abort: the engine stops the query and rejects. */
  signal?: AbortSignal | undefined;
  /** Called with the query's state as it runs (`QUEUED`, `RUNNING`, …). */
  onPoll?: ((state: string) => void) | undefined;
}

export interface SqlColumn {
  readonly name: string;
  /** The engine's type name (`varchar`, `bigint`, `double`, …). */
  readonly type: string;
}

export interface SqlStats {
  /** The engine's id of the query (Athena's execution id, Trino's query id). */
  readonly id: string;
  /** Bytes the query read from storage (Athena bills on it; Trino's physical input bytes). */
  readonly bytesScanned: number;
  readonly executionMs: number;
  /** The final state. */
  readonly state: string;
}

export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  readonly columns: readonly SqlColumn[];
  readonly stats: SqlStats;
}

export interface SqlEngine {
  /** The database (Athena) or schema (Trino) the lake's tables are in. */
  readonly database: string;
  /** Where queries run, for messages: `workgroup primary`, `http://trino:8080`. */
  readonly where: string;
  query(sql: string, opts?: SqlQueryOptions): Promise<SqlResult>;
  close(): void;
}
