/**
 * Where voicelake keeps state by default. The spool holds transcripts, so its default is
 * private to the user (`$XDG_STATE_HOME` or `~/.local/state`, else `<tmp>/voicelake-<uid>`)
 * and keyed by the destinations it feeds: two applications never share a backlog.
 */
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

type Env = Record<string, string | undefined>;

const uid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

function ownDir(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && (typeof process.getuid !== 'function' || st.uid === uid());
  } catch {
    return false;
  }
}

/** The per-user state directory voicelake uses: `<state home>/voicelake`. */
export function stateDir(env: Env = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'voicelake');
  let home = '';
  try {
    home = env.HOME ?? homedir();
  } catch {
    home = '';
  }
  if (home && isAbsolute(home) && home !== '/' && ownDir(home))
    return join(home, '.local', 'state', 'voicelake');
  return userTmpDir();
}

/** `<tmp>/voicelake-<uid>`: the per-user fallback when there is no usable home. */
export function userTmpDir(): string {
  return join(tmpdir(), `voicelake-${uid()}`);
}

/** What a spool feeds: it is never replayed into other destinations. */
export interface DestinationIdentity {
  readonly s3?: string | undefined;
  readonly cloudwatch?: string | undefined;
  readonly local?: string | undefined;
}

/** The destination identity as one canonical string: what a spool records it feeds. */
export function identityKey(identity: DestinationIdentity): string {
  return JSON.stringify([identity.s3 ?? null, identity.cloudwatch ?? null, identity.local ?? null]);
}

/** A short, stable hash of the destination identity, used to name its spool directory. */
export function identityHash(identity: DestinationIdentity): string {
  return createHash('sha256').update(identityKey(identity)).digest('hex').slice(0, 16);
}

/** The default spool directory of an application (its destinations), under the state directory. */
export function defaultSpoolDir(identity: DestinationIdentity, env: Env = process.env): string {
  return join(stateDir(env), 'spool', identityHash(identity));
}

/** A process's own spool directory name under a default spool root: never reused, never contended. */
export const OWN_DIR_RE = /^p-\d+-[0-9a-f]{12}$/;
