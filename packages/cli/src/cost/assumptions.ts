/** What `voicelake cost` assumes beside what it measures: the traffic, and how the lake is kept and queried. */

export interface CostAssumptions {
  readonly callsPerMonth: number;
  /** The Glacier transition of `voicelake lifecycle apply`. */
  readonly glacierAfterDays: number;
  /** CloudWatch Logs retention of the log group. */
  readonly logRetentionDays: number;
  /** Days each Athena query reads (the default range of `voicelake query`: 7). */
  readonly queryDays: number;
  /** Times each named query runs a month. */
  readonly queryRunsPerMonth: number;
  /** Objects per call instead of the measured figure (LiveKit's process per call: about 2 × minutes + 1). */
  readonly objectsPerCall?: number | undefined;
}

export const COST_DEFAULTS = {
  callsPerMonth: 10_000,
  glacierAfterDays: 90,
  logRetentionDays: 30,
  queryDays: 7,
  queryRunsPerMonth: 30,
} as const;
