/**
 * Whether the directories above private state are safe, judged the way OpenSSH's StrictModes
 * (`safe_path`) judges a home directory: every directory from `/` down is owned by root or by
 * this user, and not writable by group or others unless it is sticky (as `/tmp` is); every
 * symlink on the way is owned by root or by this user, and its target is judged the same way.
 * Otherwise another user could rename a private directory away and plant their own in its place.
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';

const STICKY = 0o1000;

const myUid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

const modeOf = (st: Stats): string => (st.mode & 0o7777).toString(8).padStart(4, '0');

/** Why `path` (an ancestor, seen by `lstat`) lets another user replace what is below it. */
function entryProblem(path: string, st: Stats, uid: number): string | undefined {
  if (st.uid !== 0 && st.uid !== uid)
    return `${path} is owned by uid ${st.uid}; a directory above private state must be owned by root or by this user (uid ${uid})`;
  if (st.isSymbolicLink()) return undefined;
  if (!st.isDirectory()) return `${path} is not a directory`;
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0)
    return `${path} has mode ${modeOf(st)}: group or others can write it without the sticky bit, so they could rename what is inside`;
  return undefined;
}

/** `/`, `/a`, `/a/b` for `/a/b`. */
function chain(dir: string): string[] {
  const { root } = parse(dir);
  const out = [root];
  for (const part of dir.slice(root.length).split(sep).filter(Boolean))
    out.push(join(out[out.length - 1] as string, part));
  return out;
}

/** The problem of the first unsafe directory (or symlink) in `dirs`, which end at `last` existing one. */
function chainProblem(dirs: string[], uid: number): { problem?: string; last?: string; link: boolean } {
  let link = false;
  let last: string | undefined;
  for (const p of dirs) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Missing from here down: it will be created by this user, private.
      if (code === 'ENOENT') break;
      return { problem: `${p} cannot be checked: ${(error as Error).message}`, link };
    }
    const problem = entryProblem(p, st, uid);
    if (problem !== undefined) return { problem, link };
    if (st.isSymbolicLink()) link = true;
    last = p;
  }
  return last === undefined ? { link } : { last, link };
}

/**
 * Why the directories above `path` (not `path` itself) are unsafe for private state, or
 * undefined when they are safe. Creates nothing. Always undefined where there are no uids.
 */
export function ancestorsProblem(path: string): string | undefined {
  const uid = myUid();
  if (uid === undefined) return undefined;
  const abs = resolve(path);
  const parent = dirname(abs);
  if (parent === abs) return undefined;
  const lexical = chainProblem(chain(parent), uid);
  if (lexical.problem !== undefined || !lexical.link || lexical.last === undefined) return lexical.problem;
  // A symlink on the way: where it leads must be as safe as the path itself.
  let real: string;
  try {
    real = realpathSync(lexical.last);
  } catch (error) {
    return `${lexical.last} cannot be resolved: ${(error as Error).message}`;
  }
  return chainProblem(chain(real), uid).problem;
}
