/**
 * `npm run bench`: every benchmark, side by side with its baseline, in one run.
 * Writes bench/results.json and docs/benchmarks.md. `--quick` is the CI smoke version: tiny
 * sizes, and it checks only that every benchmark runs and produces numbers.
 * `--out DIR` writes the two files under DIR instead (used by the smoke test).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { awsEnv } from '../test/helpers/aws.js';
import { startMoto } from '../test/helpers/moto.js';
import { startProxy } from '../test/helpers/proxy.js';
import { bytes } from './bytes.js';
import { machine, type Options } from './common.js';
import { cost } from './cost.js';
import { hotPath } from './hot-path.js';
import { loopDelay } from './loop-delay.js';
import { memory } from './memory.js';
import { renderMarkdown } from './report.js';
import { seedBaseline } from './seed-baseline.js';
import { throughput } from './throughput.js';

const args = process.argv.slice(2);
const options: Options = { quick: args.includes('--quick') };
const outIndex = args.indexOf('--out');
const root = resolve(import.meta.dirname, '..');
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '.') : undefined;

const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
  process.stderr.write(`bench: ${name}...`);
  const t0 = performance.now();
  const result = await fn();
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return result;
};

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'vl-bench-'));
const spoolDir = (name: string) => join(work, `spool-${name}`);
const moto = await step('starting moto', () => startMoto());
Object.assign(process.env, awsEnv(moto.endpoint));
const proxy = await startProxy(moto.endpoint);
try {
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true });
  const bucket = `vl-bench-shared-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();

  const hot = await step('1 hot path', () => hotPath(options));
  const tp = await step('2 throughput to the local lake', () => throughput(options));
  const seed = await step("3 against the seed's design", () =>
    seedBaseline(options, moto.endpoint, spoolDir('seed')),
  );
  const loop = await step('4 event-loop delay', () => loopDelay(options, moto.endpoint, spoolDir, bucket));
  const size = await step('5 bytes', () => bytes(options));
  const mem = await step('6 memory', () => memory(options, proxy, spoolDir, bucket));
  const dollars = cost({
    eventsPerCall: seed.eventsPerCall,
    storedBytesPerEvent: size.batchGzipBytesPerEvent,
    rawBytesPerEvent: size.rawBytesPerEvent,
    perEventGzipBytesPerEvent: size.perEventGzipBytesPerEvent,
    s3RequestsPer10kCalls: seed.s3RequestsPer10kCalls,
  });
  const results = {
    quick: options.quick,
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    hotPath: hot,
    throughput: tp,
    seedBaseline: seed,
    eventLoopDelay: loop,
    bytes: size,
    memory: mem,
    cost: dollars,
  };
  const jsonPath = outDir ? join(outDir, 'results.json') : join(root, 'bench/results.json');
  const mdPath = outDir ? join(outDir, 'benchmarks.md') : join(root, 'docs/benchmarks.md');
  mkdirSync(resolve(jsonPath, '..'), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(mdPath, renderMarkdown(results));
  process.stderr.write(`bench: wrote ${jsonPath} and ${mdPath} in ${results.durationSeconds} s\n`);
} finally {
  await proxy.close();
  moto.stop();
  rmSync(work, { recursive: true, force: true });
}
