/**
 * Test hooks of `voicelake compact`, read from the environment. They exist so that the tests
 * can prove the crash safety and the verification of compaction with real processes; they are
 * not options, and nothing sets them in normal use (docs/compaction.md lists them).
 *
 * - `VOICELAKE_COMPACT_CRASH_AT=after-parquet`: the process kills itself (SIGKILL) once the
 *   parts are stored and before the manifest is written.
 * - `VOICELAKE_COMPACT_CRASH_AT=after-symlink`: on S3, it kills itself once Athena's symlink
 *   manifest is written, before the CLI's manifest.
 * - `VOICELAKE_COMPACT_CRASH_AT=after-manifest`: it kills itself once the manifest is written,
 *   before old parts and (with `--delete-source`) the sources are deleted.
 * - `VOICELAKE_COMPACT_TEST_DROP_ROW=1`: the Parquet written lacks one row, so verification fails.
 */

export type CrashPoint = 'after-parquet' | 'after-symlink' | 'after-manifest';

type Env = Record<string, string | undefined>;

/** SIGKILL this process when the crash hook names `point`. */
export function crashPoint(point: CrashPoint, env: Env = process.env): void {
  if (env.VOICELAKE_COMPACT_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/** True when the test hook asks to drop a row from the Parquet written. */
export const dropRowHook = (env: Env = process.env): boolean => env.VOICELAKE_COMPACT_TEST_DROP_ROW === '1';
