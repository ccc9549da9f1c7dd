/**
 * The Python of the test tools (moto, sqlglot, pyarrow): a virtualenv built from
 * test/python/requirements.txt, where every package is pinned exactly, and keyed by that file's
 * SHA-256. The real voice-agent frameworks (LiveKit Agents, Pipecat) get a second one the same way,
 * from test/python/agents-requirements.txt, named `agents-<key>` beside it (agentsPython).
 * Change a file and the next run builds a new venv beside the old one (which it then
 * removes); an interrupted build never counts, because a venv is built under a temporary name and
 * renamed into place only once `pip check` passes. Everything is run as `python -m …`, never
 * through a venv script's shebang, so the rename is safe.
 *
 * The venvs live under `.cache/test-venv/`, or under `VOICELAKE_TEST_VENV_ROOT` (CI points that
 * at a fresh directory, to prove the file alone builds a working venv). The vitest global setup
 * builds each once and hands their interpreters to the workers in `VOICELAKE_TEST_PYTHON` and
 * `VOICELAKE_AGENTS_PYTHON`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

interface VenvSpec {
  /** The pinned requirements file. */
  requirements: string;
  /** Prefix of the venv's directory name (before the key); '' for the test tools'. */
  prefix: string;
  /** The environment variable that hands the interpreter to the workers. */
  envVar: string;
}

const TOOLS: VenvSpec = {
  requirements: resolve(import.meta.dirname, '../python/requirements.txt'),
  prefix: '',
  envVar: 'VOICELAKE_TEST_PYTHON',
};
const AGENTS: VenvSpec = {
  requirements: resolve(import.meta.dirname, '../python/agents-requirements.txt'),
  prefix: 'agents-',
  envVar: 'VOICELAKE_AGENTS_PYTHON',
};
const DEFAULT_ROOT = resolve(import.meta.dirname, '../../.cache/test-venv');
const COMPLETE = '.voicelake-complete';

/** The venv's interpreter, building the venv first when it is missing or stale. */
export const testPython = (): string => pythonOf(TOOLS);

/** True when this run leaves the real-framework tests out (`VOICELAKE_AGENT_TESTS=off`: .ci/run's extra Node legs). */
export const agentTestsOff = (): boolean => process.env.VOICELAKE_AGENT_TESTS === 'off';

/** The interpreter of the venv with LiveKit Agents and Pipecat, building it first when it is missing or stale. */
export const agentsPython = (): string => pythonOf(AGENTS);

function pythonOf(spec: VenvSpec): string {
  const given = process.env[spec.envVar];
  if (given) return given;
  const python = ensureVenv(spec);
  process.env[spec.envVar] = python;
  return python;
}

function ensureVenv(spec: VenvSpec): string {
  const root = process.env.VOICELAKE_TEST_VENV_ROOT || DEFAULT_ROOT;
  const file = spec.requirements;
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  const key = `${spec.prefix}${hash}`;
  const dir = join(root, key);
  const python = join(dir, 'bin/python');
  if (existsSync(join(dir, COMPLETE)) && existsSync(python)) return python;

  mkdirSync(root, { recursive: true, mode: 0o700 });
  const building = join(root, `${key}.building-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  const started = Date.now();
  console.log(`[venv] building the test tools' virtualenv ${dir} from test/python/${basename(file)}`);
  try {
    execFileSync('python3', ['-m', 'venv', building], { stdio: 'inherit' });
  } catch (error) {
    throw new Error(
      `cannot create a Python virtualenv (python3 -m venv): ${(error as Error).message}. ` +
        'The tests need Python 3 with the venv module (Debian: apt-get install python3-venv).',
    );
  }
  const py = join(building, 'bin/python');
  const pip = [py, '-m', 'pip', '--disable-pip-version-check', '--no-input'];
  execFileSync(pip[0] as string, [...pip.slice(1), 'install', '--quiet', '--no-deps', '-r', file], {
    stdio: 'inherit',
  });
  // Every dependency is pinned in the file, so nothing may be missing or at a version it refuses.
  execFileSync(pip[0] as string, [...pip.slice(1), 'check'], { stdio: 'inherit' });
  writeFileSync(join(building, COMPLETE), `${key}\n`);
  try {
    renameSync(building, dir);
  } catch {
    // Another process finished the same venv first (rename onto a non-empty directory fails).
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, COMPLETE))) {
      rmSync(dir, { recursive: true, force: true });
      return ensureVenv(spec);
    }
  }
  console.log(`[venv] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Venvs of earlier versions of the file are of no further use.
  for (const name of readdirSync(root)) {
    if (name !== key && name.startsWith(spec.prefix) && /^[0-9a-f]{16}$/.test(name.slice(spec.prefix.length)))
      rmSync(join(root, name), { recursive: true, force: true });
  }
  return join(dir, 'bin/python');
}
