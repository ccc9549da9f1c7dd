/** `voicelake-collect [--port 4318] [--host 127.0.0.1] [--token T | --insecure]`: run until SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { VoicelakeError } from 'voicelake';
import { showProgress } from './progress.js';
import { startCollector } from './start.js';

const USAGE = `Usage: voicelake-collect [--port 4318] [--host 127.0.0.1] [--token TOKEN | --insecure]
       [--idle-timeout SECONDS] [--state-dir DIR] [--progress]
Receives OTLP/HTTP traces (POST /v1/traces) and NDJSON events (POST /v1/events) into the lake
configured by the environment (ANALYTICS_S3_BUCKET, ANALYTICS_LOG_GROUP, ANALYTICS_LAKE_DIR, ...).`;

/** Run the collector; resolves with an exit code once it has stopped. */
export async function main(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        insecure: { type: 'boolean' },
        'idle-timeout': { type: 'string' },
        'state-dir': { type: 'string' },
        progress: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`voicelake-collect: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const idle = values['idle-timeout'] === undefined ? undefined : Number(values['idle-timeout']) * 1000;
  try {
    const running = await startCollector({
      ...(values.port !== undefined ? { port: Number(values.port) } : {}),
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
      ...(typeof values.token === 'string' ? { token: values.token } : {}),
      ...(values.insecure === true ? { insecure: true } : {}),
      ...(idle !== undefined && Number.isFinite(idle) && idle > 0 ? { idleTimeoutMs: idle } : {}),
      ...(typeof values['state-dir'] === 'string' ? { stateDir: values['state-dir'] } : {}),
    });
    process.stderr.write(`voicelake collect listening on ${running.url}\n`);
    // A progress line on a terminal (or when asked for), rewritten every second.
    const stopProgress =
      values.progress === true || process.stderr.isTTY
        ? showProgress(() => running.progressLine(), process.stderr)
        : undefined;
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await running.close();
    stopProgress?.();
    return 0;
  } catch (error) {
    const code = error instanceof VoicelakeError ? ` [${error.code}]` : '';
    process.stderr.write(`voicelake-collect: ${(error as Error).message}${code}\n`);
    return 1;
  }
}
