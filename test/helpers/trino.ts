/**
 * A real Trino for the tests: the `trino-server` tarball of a pinned version from Maven Central
 * (fetched with `mvn dependency:copy`, cached under `.cache/trino/<version>/`), run as one
 * single-node server for the whole test run on a Java of at least 24 (Trino 476 needs it).
 *
 * Its one catalog, `lake`, is the Hive connector with a file metastore (in the run's private
 * temp directory, on the native local file system) and the native S3 file system pointed at the
 * run's moto server: Trino reads and writes the same bucket as the product, through its own S3
 * client, exactly as a team's Trino reads the S3 lake. Partition projection is on, as on Athena.
 *
 * The global setup starts it without waiting (it takes about 20 s), so the other test files run
 * meanwhile; `waitForTrino()` waits for it to be ready. Only loopback addresses are used.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { vi } from 'vitest';
import { freePort } from './net.js';

/** True when this run leaves the Trino tests out (`VOICELAKE_TRINO_TESTS=off`: .ci/run's extra Node legs). */
export const trinoTestsOff = (): boolean => process.env.VOICELAKE_TRINO_TESTS === 'off';

/** The Trino server the tests run (pinned: a fresh machine gets what CI got). */
export const TRINO_VERSION = '476';
/** The oldest Java major the pinned Trino runs on. */
const MIN_JAVA = 24;
const CACHE = resolve(import.meta.dirname, '../../.cache/trino');

/** A Java's major version, from its home's `release` file (`JAVA_VERSION="25.0.3"`), or undefined. */
function javaMajor(home: string): number | undefined {
  try {
    const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A Java home of at least `MIN_JAVA`: `VOICELAKE_TRINO_JAVA_HOME`, `JAVA_HOME`, else the newest under /usr/lib/jvm. */
export function trinoJavaHome(): string {
  const candidates = [process.env.VOICELAKE_TRINO_JAVA_HOME, process.env.JAVA_HOME].filter(
    (h): h is string => h !== undefined && h !== '',
  );
  const jvm = '/usr/lib/jvm';
  if (existsSync(jvm))
    candidates.push(
      ...readdirSync(jvm)
        .map((d) => join(jvm, d))
        .sort((a, b) => (javaMajor(b) ?? 0) - (javaMajor(a) ?? 0)),
    );
  const found = candidates.find((h) => (javaMajor(h) ?? 0) >= MIN_JAVA && existsSync(join(h, 'bin/java')));
  if (found === undefined) {
    const seen = candidates.map((h) => `${h} (${javaMajor(h) ?? 'no release file'})`).join(', ') || 'none';
    throw new Error(
      `Trino ${TRINO_VERSION} needs Java ${MIN_JAVA} or newer, and none was found (looked at: ${seen}). ` +
        'Install one (Debian: a Temurin 25 JDK) or point VOICELAKE_TRINO_JAVA_HOME at it.',
    );
  }
  return found;
}

/** The unpacked server, downloading and unpacking it on first use. Only the Hive plugin is kept. */
export function trinoHome(): string {
  const home = join(CACHE, TRINO_VERSION, `trino-server-${TRINO_VERSION}`);
  if (existsSync(join(home, 'lib')) && existsSync(join(home, '.voicelake-complete'))) return home;
  const building = join(CACHE, `${TRINO_VERSION}.building-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const started = Date.now();
  console.log(
    `[trino] fetching io.trino:trino-server:${TRINO_VERSION}:tar.gz from Maven Central (first run only)`,
  );
  try {
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy',
        `-Dartifact=io.trino:trino-server:${TRINO_VERSION}:tar.gz`,
        `-DoutputDirectory=${building}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(
      `cannot fetch Trino ${TRINO_VERSION} with Maven (mvn dependency:copy): ${(error as Error).message}. ` +
        'The Trino tests need Maven (Debian: apt-get install maven) and access to Maven Central.',
    );
  }
  const tarball = join(building, `trino-server-${TRINO_VERSION}.tar.gz`);
  execFileSync('tar', ['xzf', tarball, '-C', building]);
  rmSync(tarball);
  // Only the Hive connector is used; fewer plugins start faster (the tarball hard-links shared jars).
  const plugins = join(building, `trino-server-${TRINO_VERSION}`, 'plugin');
  for (const p of readdirSync(plugins))
    if (p !== 'hive') rmSync(join(plugins, p), { recursive: true, force: true });
  writeFileSync(join(building, `trino-server-${TRINO_VERSION}`, '.voicelake-complete'), `${TRINO_VERSION}\n`);
  rmSync(join(CACHE, TRINO_VERSION), { recursive: true, force: true });
  renameSync(building, join(CACHE, TRINO_VERSION));
  console.log(`[trino] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return home;
}

export interface TrinoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Where it runs: its configuration, data, metastore and `server.log`. */
  readonly dir: string;
  /** Its one catalog (Hive, file metastore, S3 = the moto server). */
  readonly catalog: string;
  stop(): Promise<void>;
}

/** Start a single-node Trino whose `lake` catalog reads and writes the moto server's S3. Does not wait for it. */
export async function startTrino(motoEndpoint: string, dir: string): Promise<TrinoServer> {
  const home = trinoHome();
  const java = trinoJavaHome();
  const port = await freePort();
  const etc = join(dir, 'etc');
  const data = join(dir, 'data');
  mkdirSync(join(etc, 'catalog'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'metastore'), { recursive: true, mode: 0o700 });
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const props = (entries: Record<string, string | number | boolean>) =>
    `${Object.entries(entries)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`;
  writeFileSync(
    join(etc, 'node.properties'),
    props({
      'node.environment': 'test',
      'node.id': 'voicelake-test',
      'node.data-dir': data,
      'node.internal-address': '127.0.0.1',
    }),
  );
  writeFileSync(
    join(etc, 'jvm.config'),
    [
      '-server',
      '-Xmx1G',
      '-XX:+UseSerialGC',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djdk.attach.allowAttachSelf=true',
    ]
      .map((l) => `${l}\n`)
      .join(''),
  );
  writeFileSync(
    join(etc, 'config.properties'),
    props({
      coordinator: true,
      'node-scheduler.include-coordinator': true,
      'http-server.http.port': port,
      'discovery.uri': `http://127.0.0.1:${port}`,
      'query.max-memory': '512MB',
      'query.max-memory-per-node': '512MB',
    }),
  );
  writeFileSync(join(etc, 'log.properties'), 'io.trino=WARN\n');
  writeFileSync(
    join(etc, 'catalog', 'lake.properties'),
    props({
      'connector.name': 'hive',
      'hive.metastore': 'file',
      'hive.metastore.catalog.dir': 'local:///metastore',
      'fs.native-local.enabled': true,
      'local.location': dir,
      'fs.native-s3.enabled': true,
      's3.endpoint': motoEndpoint,
      's3.region': 'us-east-1',
      's3.path-style-access': true,
      's3.aws-access-key': 'test',
      's3.aws-secret-key': 'test',
      'hive.partition-projection-enabled': true,
      'hive.non-managed-table-writes-enabled': true,
      'hive.non-managed-table-creates-enabled': true,
    }),
  );
  // Its output goes to a file: waitForTrino() shows its end when the server exits early.
  const log = openSync(join(dir, 'server.log'), 'w', 0o600);
  const server: ChildProcess = spawn(
    join(home, 'bin/launcher'),
    ['run', `--etc-dir=${etc}`, `--data-dir=${data}`],
    {
      env: { ...process.env, JAVA_HOME: java, PATH: `${join(java, 'bin')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', log, log],
      detached: true,
    },
  );
  closeSync(log);
  server.on('exit', (code, signal) => writeFileSync(join(dir, 'exited'), `${code ?? signal}\n`));
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    catalog: 'lake',
    stop: async () => {
      if (server.exitCode !== null || server.pid === undefined) return;
      const exited = new Promise((r) => server.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      const timer = setTimeout(() => server.pid && process.kill(-server.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Wait until the Trino at `url` has started (`/v1/info` says `starting: false`); `dir` is the
 * directory `startTrino` ran it in: a server that exited fails at once, with its last lines.
 * (A started coordinator may still answer NO_NODES_AVAILABLE for a moment: the engine retries it.)
 */
export async function waitForTrino(url: string, dir: string, timeoutMs = 180_000): Promise<void> {
  const outcome = await vi.waitFor(
    async () => {
      if (existsSync(join(dir, 'exited'))) return 'exited';
      const info = (await (await fetch(`${url}/v1/info`)).json()) as { starting?: boolean };
      if (info.starting !== false) throw new Error(`Trino at ${url} is still starting`);
      return 'started';
    },
    { timeout: timeoutMs, interval: 500 },
  );
  if (outcome === 'exited') {
    const tail = readFileSync(join(dir, 'server.log'), 'utf8').split('\n').slice(-25).join('\n');
    throw new Error(
      `Trino exited (${readFileSync(join(dir, 'exited'), 'utf8').trim()}) before it started:\n${tail}`,
    );
  }
}
